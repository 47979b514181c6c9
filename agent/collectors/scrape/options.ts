/**
 * The scrape component's settings (scrape/keys.ts), parsed once per configuration: the per-target defaults, every
 * static target (URLs checked, relabel rules compiled) and the pod-annotation target. Nothing is parsed when
 * scraping is off, so a disabled component cannot fail a start.
 */
import type { Config } from '../../config/config';
import { parseHostPort } from '../../config/coerce';
import { FileSdConfig, fileSdFromConfig } from './file-sd';
import { ScrapeDefaults, TargetSpec, targetFromAnnotations, targetFromConfig } from './targets';

export interface ScrapeOptions {
  enabled: boolean;
  defaults: ScrapeDefaults;
  /** scrape.targets, in order. */
  targets: TargetSpec[];
  /** scrape.file_sd_configs, in order. */
  fileSd: FileSdConfig[];
  /** The target the pod's prometheus.io annotations name, if any. */
  podTarget: TargetSpec | undefined;
  /** Port of the agent's own endpoint (`listen`), so the pod target never names the agent itself. */
  ownPort: number | undefined;
  /** Most targets (0: no limit). */
  targetLimit: number;
}

export function optionsFrom(config: Config): ScrapeOptions {
  const defaults: ScrapeDefaults = {
    intervalMs: config.number('scrape.interval'),
    timeoutMs: config.number('scrape.timeout'),
    limits: {
      sampleLimit: config.number('scrape.sample_limit'),
      labelLimit: config.number('scrape.label_limit'),
      labelNameLengthLimit: config.number('scrape.label_name_length_limit'),
      labelValueLengthLimit: config.number('scrape.label_value_length_limit'),
      bodySizeLimit: config.number('scrape.body_size_limit'),
      seriesLimit: config.number('scrape.series_limit'),
    },
  };
  const enabled = config.bool('scrape.enabled');
  const o: ScrapeOptions = {
    enabled,
    defaults,
    targets: [],
    fileSd: [],
    podTarget: undefined,
    ownPort: parseHostPort(config.string('listen'))?.port,
    targetLimit: config.number('scrape.target_limit'),
  };
  if (!enabled) return o;
  config.get<unknown[]>('scrape.targets').forEach((raw, i) => {
    const t = targetFromConfig(raw, i, defaults);
    if (t) o.targets.push(t);
  });
  o.fileSd = config.get<unknown[]>('scrape.file_sd_configs').map((raw, i) => fileSdFromConfig(raw, i, defaults));
  const annotations = {
    scrape: config.string('scrape.annotations.scrape'),
    port: config.string('scrape.annotations.port'),
    path: config.string('scrape.annotations.path'),
    scheme: config.string('scrape.annotations.scheme'),
  };
  o.podTarget = targetFromAnnotations(annotations, defaults);
  return o;
}
