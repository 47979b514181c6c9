/**
 * What the injected container looks like: defaults from the `inject.*` config keys, overridden per workload by
 * `outrider.io/*` annotations (the pod template's annotations win over the workload's own).
 */
import { parse as parseYaml } from 'yaml';
import type { Config } from '../../config/config';
import { flagName } from '../../config/schema';

export const annotation = {
  inject: 'outrider.io/inject',
  image: 'outrider.io/image',
  reportTo: 'outrider.io/report-to',
  tokenSecret: 'outrider.io/token-secret',
  cpuRequest: 'outrider.io/cpu-request',
  cpuLimit: 'outrider.io/cpu-limit',
  memoryRequest: 'outrider.io/memory-request',
  memoryLimit: 'outrider.io/memory-limit',
  spoolSizeLimit: 'outrider.io/spool-size-limit',
  config: 'outrider.io/config',
  nativeSidecar: 'outrider.io/native-sidecar',
} as const;

export type NativeSidecarMode = 'auto' | 'always' | 'never';

export interface InjectOptions {
  image: string;
  imagePullPolicy: string;
  reportTo: string;
  /** Secret holding the aggregator token (empty: none) and the key within it. */
  tokenSecret: string;
  tokenSecretKey: string;
  nativeSidecar: NativeSidecarMode;
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
  spoolSizeLimit: string;
  /** Extra agent flags, appended after the built-in ones (so they win for scalar keys). */
  extraArgs: string[];
}

export function optionsFromConfig(config: Config): InjectOptions {
  return {
    image: config.string('inject.image'),
    imagePullPolicy: config.string('inject.image_pull_policy'),
    reportTo: config.string('inject.report_to'),
    tokenSecret: config.string('inject.token_secret'),
    tokenSecretKey: config.string('inject.token_secret_key'),
    nativeSidecar: config.string('inject.native_sidecar') as NativeSidecarMode,
    cpuRequest: config.string('inject.cpu_request'),
    cpuLimit: config.string('inject.cpu_limit'),
    memoryRequest: config.string('inject.memory_request'),
    memoryLimit: config.string('inject.memory_limit'),
    spoolSizeLimit: config.string('inject.spool_size_limit'),
    extraArgs: config.list('inject.extra_args'),
  };
}

const quantity = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const falsy = /^(false|no|off|0|disabled)$/i;
const truthy = /^(true|yes|on|1|enabled)$/i;

export type Annotations = Record<string, unknown>;

/** True when the annotations say not to inject. */
export function injectDisabled(a: Annotations): boolean {
  const v = a[annotation.inject];
  return typeof v === 'string' && falsy.test(v.trim());
}

/**
 * Applies annotation overrides. Bad values are reported (naming the annotation) and leave the default in place.
 */
export function resolveOptions(base: InjectOptions, a: Annotations): { options: InjectOptions; problems: string[] } {
  const o: InjectOptions = { ...base, extraArgs: [...base.extraArgs] };
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = a[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      problems.push(`annotation ${name} must be a string`);
      return undefined;
    }
    return v.trim();
  };
  const image = str(annotation.image);
  if (image !== undefined) {
    if (image === '' || /\s/.test(image)) problems.push(`annotation ${annotation.image}: ${JSON.stringify(image)} is not an image reference`);
    else o.image = image;
  }
  const reportTo = str(annotation.reportTo);
  if (reportTo !== undefined) {
    if (reportTo !== '' && !isUrl(reportTo)) problems.push(`annotation ${annotation.reportTo}: ${JSON.stringify(reportTo)} is not a URL`);
    else o.reportTo = reportTo;
  }
  const secret = str(annotation.tokenSecret);
  if (secret !== undefined) {
    if (secret !== '' && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(secret)) problems.push(`annotation ${annotation.tokenSecret}: ${JSON.stringify(secret)} is not a Secret name`);
    else o.tokenSecret = secret;
  }
  const quantities: [string, 'cpuRequest' | 'cpuLimit' | 'memoryRequest' | 'memoryLimit' | 'spoolSizeLimit'][] = [
    [annotation.cpuRequest, 'cpuRequest'],
    [annotation.cpuLimit, 'cpuLimit'],
    [annotation.memoryRequest, 'memoryRequest'],
    [annotation.memoryLimit, 'memoryLimit'],
    [annotation.spoolSizeLimit, 'spoolSizeLimit'],
  ];
  for (const [name, field] of quantities) {
    const v = str(name);
    if (v === undefined) continue;
    if (v === '' && field === 'spoolSizeLimit') problems.push(`annotation ${name}: the spool volume always has a sizeLimit (it bounds the spool); give a quantity such as 256Mi`);
    else if (v !== '' && !quantity.test(v)) problems.push(`annotation ${name}: ${JSON.stringify(v)} is not a Kubernetes quantity such as 20m or 64Mi`);
    else o[field] = v;
  }
  const native = str(annotation.nativeSidecar);
  if (native !== undefined) {
    if (truthy.test(native)) o.nativeSidecar = 'always';
    else if (falsy.test(native)) o.nativeSidecar = 'never';
    else if (native === 'auto') o.nativeSidecar = 'auto';
    else problems.push(`annotation ${annotation.nativeSidecar}: ${JSON.stringify(native)} is not true, false or auto`);
  }
  const cfg = str(annotation.config);
  if (cfg !== undefined && cfg !== '') {
    const r = configFlags(cfg);
    if (r.problem) problems.push(`annotation ${annotation.config}: ${r.problem}`);
    else o.extraArgs.push(...r.flags);
  }
  return { options: o, problems };
}

function isUrl(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * `outrider.io/config` holds agent config as YAML (or JSON): nested maps or dotted keys, e.g.
 * `statsd: {flush_interval: 5s}` or `log_level: debug`. It becomes flags (`--statsd.flush-interval=5s`); a list
 * becomes a repeated flag. The agent validates the keys when it starts.
 */
export function configFlags(text: string): { flags: string[]; problem?: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 0 });
  } catch (err) {
    return { flags: [], problem: `not valid YAML (${(err as Error).message.split('\n')[0]})` };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { flags: [], problem: 'expected a map of config keys' };
  const flags: string[] = [];
  let problem: string | undefined;
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (!/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/.test(key)) {
        problem ??= `${JSON.stringify(key)} is not a config key name`;
        continue;
      }
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, key);
      else if (Array.isArray(v)) {
        for (const item of v) {
          if (item !== null && typeof item === 'object') problem ??= `${key}: list items must be scalars`;
          else flags.push(`--${flagName(key)}=${String(item)}`);
        }
      } else if (v === null) problem ??= `${key}: no value`;
      else flags.push(`--${flagName(key)}=${String(v)}`);
    }
  };
  walk(doc as Record<string, unknown>, '');
  return problem ? { flags: [], problem } : { flags };
}
