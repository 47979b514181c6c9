/**
 * The query list of node-exporter-queries.yaml and how one query's results for node_exporter and for Outrider are
 * compared. Results are matched series by series on their labels without job and instance; each kind has its own
 * tolerance (see the YAML file's header), overridable per query with `rel` and `abs`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const kinds = ['exact', 'gauge', 'volatile', 'rate', 'presence', 'alert'] as const;
export type Kind = (typeof kinds)[number];

export interface QuerySpec {
  id: string;
  expr: string;
  kind: Kind;
  rel?: number;
  abs?: number;
  exclude?: string;
  /** Seconds of drift allowed for levels (gauge, volatile): default 6, the filesystem's statfs reuse plus a scrape. */
  lag?: number;
  /** What a host must have for node_exporter's query to return data (hardware, a collector off by default). */
  needs?: string;
}

export interface SeriesDifference {
  labels: Record<string, string>;
  reason: string;
}

export interface QueryFile {
  queries: QuerySpec[];
  seriesDifferences: SeriesDifference[];
}

/** Default tolerances by kind: a difference passes when within `abs` or within `rel` of the larger magnitude. */
const defaults: Record<Kind, { rel: number; abs: number }> = {
  exact: { rel: 1e-9, abs: 0 },
  gauge: { rel: 0.05, abs: 0 },
  volatile: { rel: 0.5, abs: 2 },
  rate: { rel: 0.5, abs: 0.05 },
  presence: { rel: Infinity, abs: Infinity },
  alert: { rel: Infinity, abs: Infinity },
};

export const queryFilePath = join(__dirname, '..', '..', '..', 'test', 'conformance', 'node-exporter-queries.yaml');

export function loadQueries(path = queryFilePath): QueryFile {
  const doc = parse(readFileSync(path, 'utf8')) as { queries?: unknown; series_differences?: unknown };
  if (!Array.isArray(doc.queries)) throw new Error(`${path}: no queries list`);
  const queries = doc.queries.map((q: Record<string, unknown>, i) => {
    if (typeof q.id !== 'string' || typeof q.expr !== 'string') throw new Error(`${path}: entry ${i} needs id and expr`);
    if (!kinds.includes(q.kind as Kind)) throw new Error(`${path}: ${q.id}: unknown kind ${String(q.kind)}`);
    for (const k of ['rel', 'abs', 'lag'] as const) if (q[k] !== undefined && typeof q[k] !== 'number') throw new Error(`${path}: ${q.id}: ${k} must be a number`);
    for (const k of ['exclude', 'needs'] as const) if (q[k] !== undefined && typeof q[k] !== 'string') throw new Error(`${path}: ${q.id}: ${k} must be a string`);
    return q as unknown as QuerySpec;
  });
  const seriesDifferences = ((doc.series_differences as SeriesDifference[] | undefined) ?? []).map((d) => ({ labels: d.labels, reason: d.reason }));
  return { queries, seriesDifferences };
}

/** Fixed values for the dashboard's Grafana variables and the target's own labels. */
export function instantiate(expr: string, vars: { job: string; node: string; rateInterval: string }): string {
  return expr
    .replace(/\$__rate_interval/g, vars.rateInterval)
    .replace(/\$job/g, vars.job)
    .replace(/\$node/g, vars.node);
}

/** One series of a range result: its identity (labels without job and instance), its points by time, mean and last. */
export interface SeriesValue {
  key: string;
  labels: Record<string, string>;
  points: Map<number, number>;
  mean: number;
  last: number;
}

export function seriesKey(labels: Record<string, string>): string {
  return Object.entries(labels)
    .filter(([k]) => k !== 'job' && k !== 'instance')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
}

/** Summarises a Prometheus matrix (query_range) result. */
export function summarise(matrix: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>): Map<string, SeriesValue> {
  const out = new Map<string, SeriesValue>();
  for (const s of matrix) {
    if (s.values.length === 0) continue;
    const points = new Map(s.values.map(([ts, v]) => [ts, Number(v)] as [number, number]));
    const vals = [...points.values()];
    const finite = vals.filter((v) => Number.isFinite(v));
    const mean = finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : vals[vals.length - 1]!;
    const key = seriesKey(s.metric);
    out.set(key, { key, labels: s.metric, points, mean, last: vals[vals.length - 1]! });
  }
  return out;
}

export function within(a: number, b: number, rel: number, abs: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  const d = Math.abs(a - b);
  return d <= abs || d <= rel * Math.max(Math.abs(a), Math.abs(b));
}

/** The share of a series' points that may disagree: a moment other processes moved (a burst, a process start). */
const LEVEL_OUTLIERS = 0.2;

/**
 * A level read by the agent at time t must be one node_exporter could have read within the drift: between the
 * lowest and highest of node_exporter's points from `lagS` seconds before to one second after, or within tolerance
 * of one. The agent's collectors run on their own clock (every second; the filesystem's statfs pass at most every
 * 5 s), not on the scrape, so a system-wide level that another process moves for an instant (committed memory while
 * a process starts, a burst of I/O) can be seen by one exporter only: up to a fifth of the points may disagree. A
 * wrong reading (a field, a unit, a label) disagrees at every point.
 */
function levelProblem(n: SeriesValue, o: SeriesValue, rel: number, abs: number, lagS: number): string | undefined {
  const first = Math.min(...n.points.keys());
  const bad: string[] = [];
  let compared = 0;
  for (const [ts, v] of o.points) {
    if (ts - lagS < first) continue; // node_exporter's points before this one are outside the range asked for
    const near = [...n.points].filter(([tn]) => tn >= ts - lagS && tn <= ts + 1).map(([, nv]) => nv);
    if (near.length === 0) continue;
    compared++;
    // A level that moved between two of node_exporter's reads may have been read by the agent anywhere in between.
    const lo = Math.min(...near);
    const hi = Math.max(...near);
    if (v >= lo && v <= hi) continue;
    if (!near.some((nv) => within(nv, v, rel, abs))) bad.push(`at ${ts}: Outrider ${v}, node_exporter ${near.join('/')} within ${lagS} s`);
  }
  if (bad.length > Math.floor(compared * LEVEL_OUTLIERS)) return `${bad.length} of ${compared} points disagree, ${bad[0]}`;
  return undefined;
}

/** How late the agent's counters may be against node_exporter's: its collectors run on their own 1 s clock. */
const rateShiftS = 2;

const meanOf = (v: number[]) => {
  const f = v.filter((x) => Number.isFinite(x));
  return f.length > 0 ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};

/**
 * Pairs of (node_exporter, Outrider) window means of a rate, Outrider's window 0..rateShiftS steps later: a burst
 * at the window's edge lands in the agent's next collection, not in the window node_exporter's scrape closed.
 */
function rateMeans(n: SeriesValue, o: SeriesValue): Array<[number, number]> {
  const ts = [...new Set([...n.points.keys(), ...o.points.keys()])].sort((a, b) => a - b);
  const out: Array<[number, number]> = [[n.mean, o.mean]];
  for (let k = 1; k <= rateShiftS && k < ts.length; k++) {
    const nv = ts.slice(0, ts.length - k).flatMap((t) => (n.points.has(t) ? [n.points.get(t)!] : []));
    const ov = ts.slice(k).flatMap((t) => (o.points.has(t) ? [o.points.get(t)!] : []));
    out.push([meanOf(nv), meanOf(ov)]);
  }
  return out;
}

export type Verdict = { status: 'compared'; problems: string[]; series: number } | { status: 'no-data'; outriderSeries: number } | { status: 'excluded'; reason: string; problems: string[] };

/**
 * node_exporter's result decides what is asked of Outrider: every series it returns at each of the window's
 * `steps` (less the known series differences; one that comes or goes inside the window, such as a mount made by
 * another process, is transient and not asked) must be there, with values within the kind's tolerance. An empty
 * node_exporter result asks nothing.
 */
export function compare(q: QuerySpec, node: Map<string, SeriesValue>, outrider: Map<string, SeriesValue>, differences: SeriesDifference[] = [], steps = 0): Verdict {
  const expected = [...node.values()].filter((s) => s.points.size >= steps && !differences.some((d) => Object.entries(d.labels).every(([k, v]) => s.labels[k] === v)));
  if (expected.length === 0) return { status: 'no-data', outriderSeries: outrider.size };
  const problems: string[] = [];
  const missing = expected.filter((s) => !outrider.has(s.key)).map((s) => `{${s.key}}`);
  if (missing.length > 0) problems.push(`missing for Outrider: ${missing.slice(0, 8).join(' ')}${missing.length > 8 ? ` (+${missing.length - 8})` : ''}`);
  const tol = { rel: q.rel ?? defaults[q.kind].rel, abs: q.abs ?? defaults[q.kind].abs };
  for (const s of expected) {
    const o = outrider.get(s.key);
    if (!o || q.kind === 'presence' || q.kind === 'alert') continue;
    if (q.kind === 'gauge' || q.kind === 'volatile') {
      const p = levelProblem(s, o, tol.rel, tol.abs, q.lag ?? 6);
      if (p) problems.push(`{${s.key}} ${p} (rel ${tol.rel}, abs ${tol.abs})`);
      continue;
    }
    if (q.kind === 'rate') {
      const shifted = rateMeans(s, o);
      if (!shifted.some(([a, b]) => within(a, b, tol.rel, tol.abs))) {
        problems.push(`{${s.key}} node_exporter ${shifted[0]![0]} vs Outrider ${shifted[0]![1]} (mean; rel ${tol.rel}, abs ${tol.abs}, Outrider up to ${rateShiftS} s late)`);
      }
      continue;
    }
    if (!within(s.last, o.last, tol.rel, tol.abs)) problems.push(`{${s.key}} node_exporter ${s.last} vs Outrider ${o.last} (rel ${tol.rel}, abs ${tol.abs})`);
  }
  if (q.exclude) return { status: 'excluded', reason: q.exclude, problems };
  return { status: 'compared', problems, series: expected.length };
}
