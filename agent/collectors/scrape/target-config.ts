/**
 * The settings a scrape target takes from its config entry, shared by a `scrape.targets` entry and a
 * `scrape.file_sd_configs` entry (whose targets come from files): interval, timeout, scheme, path, params, headers,
 * authentication, TLS, honor_*, relabeling and limits. Checked once; a wrong field is a config error naming the
 * entry and the field.
 */
import { OutriderError } from '../../core/errors';
import { parseDurationMs, parseSizeBytes } from '../../config/units';
import { compileRelabels, RelabelRule } from './relabel';
import { tlsFromConfig, type ScrapeTls } from './tls';

export interface TargetLimits {
  sampleLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  bodySizeLimit: number;
  seriesLimit: number;
}

export interface ScrapeDefaults {
  intervalMs: number;
  timeoutMs: number;
  limits: TargetLimits;
}

/** The settings a built target keeps from its entry as they are. */
export interface TargetSettings {
  job: string;
  intervalMs: number;
  timeoutMs: number;
  headers: Record<string, string>;
  bearerTokenFile?: string;
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  tls?: ScrapeTls;
  honorLabels: boolean;
  honorTimestamps: boolean;
  metricRelabel: RelabelRule[];
  limits: TargetLimits;
}

/** What every target of one entry shares; the address (and with relabeling, anything else) is per target. */
export interface TargetTemplate extends TargetSettings {
  scheme: 'http' | 'https';
  /** The metrics path (`__metrics_path__` before relabeling). */
  path: string;
  params: Array<[string, string]>;
  /** Extra target labels (`labels:`). */
  labels: Record<string, string>;
  relabel: RelabelRule[];
}

export function bad(where: string, message: string): never {
  throw new OutriderError('OUTRIDER_ERR_SCRAPE_CONFIG', `${where}: ${message}`);
}

export function duration(where: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const ms = parseDurationMs(v as string | number);
  if (ms === undefined || ms <= 0) bad(where, `expected a duration such as 15s, got ${JSON.stringify(v)}`);
  return ms;
}

function limit(where: string, v: unknown, dflt: number, size = false): number {
  if (v === undefined) return dflt;
  const n = size ? parseSizeBytes(v as string | number) : typeof v === 'number' ? v : undefined;
  if (n === undefined || !Number.isInteger(n) || n < 0) bad(where, `expected a non-negative ${size ? 'size' : 'integer'}, got ${JSON.stringify(v)}`);
  return n;
}

export function stringMap(where: string, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(where, 'expected a mapping of strings');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') bad(`${where}.${k}`, 'expected a string');
    out[k] = x;
  }
  return out;
}

/** Fields every entry may have. */
export const templateFields = [
  'job',
  'interval',
  'timeout',
  'scheme',
  'path',
  'params',
  'headers',
  'bearer_token_file',
  'basic_auth',
  'tls_config',
  'honor_labels',
  'honor_timestamps',
  'labels',
  'relabel_configs',
  'metric_relabel_configs',
  'sample_limit',
  'label_limit',
  'label_name_length_limit',
  'label_value_length_limit',
  'body_size_limit',
  'series_limit',
];

/** The shared settings of one entry (unknown fields are the caller's check). */
export function templateFrom(e: Record<string, unknown>, where: string, d: ScrapeDefaults): TargetTemplate {
  const intervalMs = duration(`${where}.interval`, e.interval, d.intervalMs);
  const timeoutMs = Math.min(duration(`${where}.timeout`, e.timeout, d.timeoutMs), intervalMs);
  let basicAuth: TargetTemplate['basicAuth'];
  if (e.basic_auth !== undefined) {
    const b = stringMap(`${where}.basic_auth`, e.basic_auth);
    if (!b.username) bad(`${where}.basic_auth.username`, 'expected a user name');
    basicAuth = { username: b.username, password: b.password, passwordFile: b.password_file };
  }
  if (e.bearer_token_file !== undefined && typeof e.bearer_token_file !== 'string') bad(`${where}.bearer_token_file`, 'expected a file path');
  if (e.bearer_token_file !== undefined && basicAuth) bad(where, 'bearer_token_file and basic_auth exclude each other');
  const scheme = e.scheme === undefined ? 'http' : e.scheme;
  if (scheme !== 'http' && scheme !== 'https') bad(`${where}.scheme`, `expected http or https, got ${JSON.stringify(e.scheme)}`);
  if (e.path !== undefined && (typeof e.path !== 'string' || !e.path.startsWith('/'))) bad(`${where}.path`, 'expected a path starting with /');
  const params: Array<[string, string]> = [];
  if (e.params !== undefined) {
    if (typeof e.params !== 'object' || e.params === null || Array.isArray(e.params)) bad(`${where}.params`, 'expected a mapping of names to lists of values');
    for (const [k, vs] of Object.entries(e.params)) for (const v of Array.isArray(vs) ? vs : [vs]) params.push([k, String(v)]);
  }
  let relabel: RelabelRule[];
  let metricRelabel: RelabelRule[];
  try {
    relabel = compileRelabels(e.relabel_configs);
    metricRelabel = compileRelabels(e.metric_relabel_configs);
  } catch (err) {
    bad(where, (err as Error).message);
  }
  const l = d.limits;
  return {
    job: typeof e.job === 'string' && e.job !== '' ? e.job : 'scrape',
    scheme,
    path: (e.path as string | undefined) ?? '/metrics',
    params,
    intervalMs,
    timeoutMs,
    headers: stringMap(`${where}.headers`, e.headers),
    bearerTokenFile: e.bearer_token_file as string | undefined,
    basicAuth,
    tls: e.tls_config === undefined ? undefined : tlsFromConfig(`${where}.tls_config`, e.tls_config, bad),
    honorLabels: e.honor_labels === true,
    honorTimestamps: e.honor_timestamps !== false,
    labels: stringMap(`${where}.labels`, e.labels),
    relabel,
    metricRelabel,
    limits: {
      sampleLimit: limit(`${where}.sample_limit`, e.sample_limit, l.sampleLimit),
      labelLimit: limit(`${where}.label_limit`, e.label_limit, l.labelLimit),
      labelNameLengthLimit: limit(`${where}.label_name_length_limit`, e.label_name_length_limit, l.labelNameLengthLimit),
      labelValueLengthLimit: limit(`${where}.label_value_length_limit`, e.label_value_length_limit, l.labelValueLengthLimit),
      bodySizeLimit: limit(`${where}.body_size_limit`, e.body_size_limit, l.bodySizeLimit, true),
      seriesLimit: limit(`${where}.series_limit`, e.series_limit, l.seriesLimit),
    },
  };
}
