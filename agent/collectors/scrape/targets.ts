/**
 * Scrape targets: the static `scrape.targets` entries and, in a pod, the target the Prometheus pod annotations name
 * (`prometheus.io/scrape`, `/port`, `/path`, `/scheme`, passed to the sidecar as `scrape.annotations.*` through the
 * downward API), scraped on 127.0.0.1 because the application shares the pod's loopback. Each entry is checked once
 * here; a wrong entry is a config error naming the entry and the field.
 */
import { readFileSync } from 'node:fs';
import { OutriderError } from '../../core/errors';
import { parseDurationMs, parseSizeBytes } from '../../config/units';
import { compileRelabels, relabel as applyRelabel, RelabelRule } from './relabel';

export interface TargetLimits {
  sampleLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  bodySizeLimit: number;
  seriesLimit: number;
}

export interface TargetSpec {
  job: string;
  /** The URL scraped (scheme, host, port, path and params). */
  url: URL;
  intervalMs: number;
  timeoutMs: number;
  headers: Record<string, string>;
  bearerTokenFile?: string;
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  honorLabels: boolean;
  honorTimestamps: boolean;
  /** Target labels after relabel_configs (job and instance included). */
  labels: Record<string, string>;
  metricRelabel: RelabelRule[];
  limits: TargetLimits;
}

export interface ScrapeDefaults {
  intervalMs: number;
  timeoutMs: number;
  limits: TargetLimits;
}

function bad(where: string, message: string): never {
  throw new OutriderError('OUTRIDER_ERR_SCRAPE_CONFIG', `${where}: ${message}`);
}

function duration(where: string, v: unknown, dflt: number): number {
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

function stringMap(where: string, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(where, 'expected a mapping of strings');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') bad(`${where}.${k}`, 'expected a string');
    out[k] = x;
  }
  return out;
}

const known = new Set([
  'url',
  'path',
  'job',
  'interval',
  'timeout',
  'params',
  'headers',
  'bearer_token_file',
  'basic_auth',
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
]);

/** Builds a target from one `scrape.targets` entry; undefined when relabel_configs drop it. */
export function targetFromConfig(raw: unknown, index: number, d: ScrapeDefaults): TargetSpec | undefined {
  const where = `scrape.targets[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(where, 'expected a mapping with at least a url');
  const e = raw as Record<string, unknown>;
  for (const k of Object.keys(e)) if (!known.has(k)) bad(`${where}.${k}`, 'unknown field');
  if (typeof e.url !== 'string') bad(`${where}.url`, 'expected a URL such as http://127.0.0.1:8080/metrics');
  let url: URL;
  try {
    url = new URL(e.url);
  } catch {
    bad(`${where}.url`, `not a URL: ${JSON.stringify(e.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(`${where}.url`, 'expected http:// or https://');
  if (typeof e.path === 'string') url.pathname = e.path;
  else if (url.pathname === '/') url.pathname = '/metrics';
  if (e.params !== undefined) {
    if (typeof e.params !== 'object' || e.params === null) bad(`${where}.params`, 'expected a mapping of names to lists of values');
    for (const [k, vs] of Object.entries(e.params)) for (const v of Array.isArray(vs) ? vs : [vs]) url.searchParams.append(k, String(v));
  }
  const intervalMs = duration(`${where}.interval`, e.interval, d.intervalMs);
  const timeoutMs = Math.min(duration(`${where}.timeout`, e.timeout, d.timeoutMs), intervalMs);
  let basicAuth: TargetSpec['basicAuth'];
  if (e.basic_auth !== undefined) {
    const b = stringMap(`${where}.basic_auth`, e.basic_auth);
    if (!b.username) bad(`${where}.basic_auth.username`, 'expected a user name');
    basicAuth = { username: b.username, password: b.password, passwordFile: b.password_file };
  }
  if (e.bearer_token_file !== undefined && typeof e.bearer_token_file !== 'string') bad(`${where}.bearer_token_file`, 'expected a file path');
  const job = typeof e.job === 'string' && e.job !== '' ? e.job : 'scrape';
  const base = { ...stringMap(`${where}.labels`, e.labels), job, instance: url.host, __address__: url.host, __scheme__: url.protocol.slice(0, -1), __metrics_path__: url.pathname };
  let relabel: RelabelRule[];
  let metricRelabel: RelabelRule[];
  try {
    relabel = compileRelabels(e.relabel_configs);
    metricRelabel = compileRelabels(e.metric_relabel_configs);
  } catch (err) {
    bad(where, (err as Error).message);
  }
  const labels = applyRelabel(base, relabel);
  if (!labels) return undefined;
  for (const k of Object.keys(labels)) if (k.startsWith('__')) delete labels[k];
  const l = d.limits;
  return {
    job: labels.job ?? job,
    url,
    intervalMs,
    timeoutMs,
    headers: stringMap(`${where}.headers`, e.headers),
    bearerTokenFile: e.bearer_token_file as string | undefined,
    basicAuth,
    honorLabels: e.honor_labels === true,
    honorTimestamps: e.honor_timestamps !== false,
    labels,
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

export interface PodAnnotations {
  scrape: string;
  port: string;
  path: string;
  scheme: string;
}

/** The target the pod annotations name, or undefined when `prometheus.io/scrape` is not "true". */
export function targetFromAnnotations(a: PodAnnotations, d: ScrapeDefaults): TargetSpec | undefined {
  if (a.scrape.trim().toLowerCase() !== 'true') return undefined;
  const port = Number(a.port || '80');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) bad('scrape.annotations.port', `expected a port number, got ${JSON.stringify(a.port)}`);
  const scheme = (a.scheme || 'http').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') bad('scrape.annotations.scheme', `expected http or https, got ${JSON.stringify(a.scheme)}`);
  const path = a.path || '/metrics';
  return targetFromConfig({ url: `${scheme}://127.0.0.1:${port}${path.startsWith('/') ? path : '/' + path}`, job: 'pod' }, 0, d);
}

/** The Authorization header value for a target, read from its files at each scrape (rotated secrets are picked up). */
export function authorization(t: TargetSpec): string | undefined {
  if (t.bearerTokenFile) return `Bearer ${readFileSync(t.bearerTokenFile, 'utf8').trim()}`;
  if (t.basicAuth) {
    const pw = t.basicAuth.passwordFile ? readFileSync(t.basicAuth.passwordFile, 'utf8').trim() : (t.basicAuth.password ?? '');
    return `Basic ${Buffer.from(`${t.basicAuth.username}:${pw}`).toString('base64')}`;
  }
  return undefined;
}
