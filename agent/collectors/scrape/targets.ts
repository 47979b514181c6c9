/**
 * Scrape targets: the static `scrape.targets` entries, the targets of `scrape.file_sd_configs` (file-sd.ts) and, in a
 * pod, the target the Prometheus pod annotations name (`prometheus.io/scrape`, `/port`, `/path`, `/scheme`, passed to
 * the sidecar as `scrape.annotations.*` through the downward API), scraped on 127.0.0.1 because the application
 * shares the pod's loopback.
 *
 * A target is built as Prometheus builds one: its labels before relabeling are the entry's `labels`, `job`,
 * `__address__`, `__scheme__`, `__metrics_path__`, `__param_<name>` (and what discovery adds, `__meta_*`);
 * `relabel_configs` run on them; the URL is then read from `__scheme__`, `__address__`, `__metrics_path__` and
 * `__param_*`, `instance` defaults to `__address__`, and the labels starting with `__` are dropped.
 */
import { readFileSync } from 'node:fs';
import { relabel as applyRelabel } from './relabel';
import { bad, ScrapeDefaults, TargetSettings, TargetTemplate, templateFields, templateFrom } from './target-config';

export type { ScrapeDefaults, TargetLimits } from './target-config';

export interface TargetSpec extends TargetSettings {
  /** The URL scraped (scheme, host, port, path and params). */
  url: URL;
  /** Target labels after relabel_configs (job and instance included). */
  labels: Record<string, string>;
  /** Labels before relabeling (the targets API's discoveredLabels). */
  discoveredLabels: Record<string, string>;
}

/** Why a discovered target could not be built (its address is not host:port after relabeling). */
export class TargetError extends Error {}

/**
 * The target for `address` with this template and extra labels before relabeling (discovery's group labels and
 * `__meta_*`); undefined when relabeling drops it. Throws TargetError for an unusable address.
 */
export function targetFromLabels(tpl: TargetTemplate, address: string, extra: Readonly<Record<string, string>> = {}): TargetSpec | undefined {
  const base: Record<string, string> = { ...tpl.labels, job: tpl.job, __address__: address, __scheme__: tpl.scheme, __metrics_path__: tpl.path };
  for (const [k, v] of tpl.params) if (base[`__param_${k}`] === undefined) base[`__param_${k}`] = v;
  Object.assign(base, extra);
  const labels = applyRelabel(base, tpl.relabel);
  if (!labels) return undefined;
  const addr = labels.__address__ ?? '';
  if (addr === '' || /[/?#@\s]/.test(addr)) throw new TargetError(`__address__ ${JSON.stringify(addr)} is not host:port`);
  const scheme = labels.__scheme__ ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') throw new TargetError(`__scheme__ ${JSON.stringify(scheme)} is neither http nor https`);
  let url: URL;
  try {
    url = new URL(`${scheme}://${addr}`);
  } catch {
    throw new TargetError(`__address__ ${JSON.stringify(addr)} is not host:port`);
  }
  const path = labels.__metrics_path__ || '/metrics';
  url.pathname = path.startsWith('/') ? path : '/' + path;
  // Params as Prometheus builds them: the entry's, each __param_<name> left after relabeling replacing that name's
  // first value (or adding it).
  const query = new Map<string, string[]>();
  for (const [k, v] of tpl.params) query.set(k, [...(query.get(k) ?? []), v]);
  for (const [k, v] of Object.entries(labels)) {
    if (!k.startsWith('__param_')) continue;
    const vs = query.get(k.slice('__param_'.length));
    if (vs) vs[0] = v;
    else query.set(k.slice('__param_'.length), [v]);
  }
  for (const [k, vs] of query) for (const v of vs) url.searchParams.append(k, v);
  labels.instance ??= addr;
  for (const k of Object.keys(labels)) if (k.startsWith('__')) delete labels[k];
  return {
    job: labels.job ?? tpl.job,
    url,
    intervalMs: tpl.intervalMs,
    timeoutMs: tpl.timeoutMs,
    headers: tpl.headers,
    bearerTokenFile: tpl.bearerTokenFile,
    basicAuth: tpl.basicAuth,
    tls: tpl.tls,
    honorLabels: tpl.honorLabels,
    honorTimestamps: tpl.honorTimestamps,
    labels,
    discoveredLabels: base,
    metricRelabel: tpl.metricRelabel,
    limits: tpl.limits,
  };
}

const staticFields = new Set(['url', ...templateFields.filter((f) => f !== 'scheme')]);

/** Builds a target from one `scrape.targets` entry; undefined when relabel_configs drop it. */
export function targetFromConfig(raw: unknown, index: number, d: ScrapeDefaults): TargetSpec | undefined {
  const where = `scrape.targets[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(where, 'expected a mapping with at least a url');
  const e = raw as Record<string, unknown>;
  for (const k of Object.keys(e)) if (!staticFields.has(k)) bad(`${where}.${k}`, 'unknown field');
  if (typeof e.url !== 'string') bad(`${where}.url`, 'expected a URL such as http://127.0.0.1:8080/metrics');
  let url: URL;
  try {
    url = new URL(e.url);
  } catch {
    bad(`${where}.url`, `not a URL: ${JSON.stringify(e.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(`${where}.url`, 'expected http:// or https://');
  const tpl = templateFrom({ ...e, scheme: url.protocol.slice(0, -1), path: e.path ?? (url.pathname === '/' ? '/metrics' : url.pathname) }, where, d);
  // The URL's own query comes first, then params.
  tpl.params = [...url.searchParams.entries(), ...tpl.params];
  try {
    return targetFromLabels(tpl, url.host);
  } catch (err) {
    bad(where, (err as Error).message);
  }
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
