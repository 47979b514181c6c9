/**
 * The scrape component's settings (scrape/keys.ts), parsed once per configuration: the per-target defaults, every
 * static target (URLs checked, relabel rules compiled) and the pod-annotation target. Nothing is parsed when
 * scraping is off, so a disabled component cannot fail a start.
 */
import type { Config } from '../../config/config';
import { parseHostPort } from '../../config/coerce';
import type { FileSdConfig } from './file-sd';
import type { ScrapeDefaults, TargetSpec } from './targets';

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
  const targets = config.get<unknown[]>('scrape.targets');
  const fileSd = config.get<unknown[]>('scrape.file_sd_configs');
  const annotations = {
    scrape: config.string('scrape.annotations.scrape'),
    port: config.string('scrape.annotations.port'),
    path: config.string('scrape.annotations.path'),
    scheme: config.string('scrape.annotations.scheme'),
  };
  // Nothing to parse (no target, no file_sd config, no annotation asking for a scrape): the target parsing (and the
  // relabelling and TLS code it brings) is not loaded.
  if (targets.length === 0 && fileSd.length === 0 && annotations.scrape.trim().toLowerCase() !== 'true') return o;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { targetFromAnnotations, targetFromConfig } = require('./targets') as typeof import('./targets');
  const { fileSdFromConfig } = require('./file-sd') as typeof import('./file-sd');
  /* eslint-enable @typescript-eslint/no-require-imports */
  targets.forEach((raw, i) => {
    const t = targetFromConfig(raw, i, defaults);
    if (t) o.targets.push(t);
  });
  o.fileSd = fileSd.map((raw, i) => fileSdFromConfig(raw, i, defaults));
  o.podTarget = targetFromAnnotations(annotations, defaults);
  return o;
}

/** Whether the options give the scraper anything to do (else ./index.ts, the scraper and its HTTP client are not loaded). */
export function hasScrapeWork(o: ScrapeOptions): boolean {
  return o.enabled && (o.targets.length > 0 || o.fileSd.length > 0 || o.podTarget !== undefined);
}
