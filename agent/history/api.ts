/**
 * The local history behind Prometheus's HTTP API read endpoints, answering in Prometheus's JSON shapes:
 *
 *   GET|POST /api/v1/series?match[]=<selector>&start=&end=&limit=    → {"status":"success","data":[{labels}...]}
 *   GET|POST /api/v1/labels?match[]=&start=&end=&limit=              → {"status":"success","data":["name"...]}
 *   GET|POST /api/v1/label/<name>/values?match[]=&start=&end=&limit= → {"status":"success","data":["value"...]}
 *
 * Times are Unix seconds (fractions allowed) or RFC 3339; an absent start or end is the edge of the history. Errors
 * are {"status":"error","errorType":"bad_data","error":"..."} with 400 (503 "unavailable" when the history is off).
 */
import { OutriderError } from '../core/errors';
import { labelKey } from '../store/store';
import type { Labels } from '../store/types';
import { parseSelector } from './selector';
import type { HistoryReader, LabelMatcher } from './types';

/** What the API reads: the reader, plus the series of a window without their samples. */
export interface HistoryIndex extends HistoryReader {
  seriesLabels(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Labels[];
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** Most match[] selectors one request may carry. */
export const MAX_MATCHERS = 64;

const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function seriesApi(h: HistoryIndex | undefined, params: URLSearchParams): ApiAnswer {
  return answer(h, params, (h, q) => {
    if (q.selectors.length === 0) throw badData('no match[] parameter provided');
    const seen = new Map<string, Labels>();
    for (const m of q.selectors) for (const l of h.seriesLabels(m, q.startMs, q.endMs)) seen.set(labelKey(l), l);
    const keys = [...seen.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.map((k) => sortedLabels(seen.get(k)!));
  });
}

export function labelsApi(h: HistoryIndex | undefined, params: URLSearchParams): ApiAnswer {
  return answer(h, params, (h, q) => union(q.selectors.length ? q.selectors.map((m) => h.labelNames(q.startMs, q.endMs, m)) : [h.labelNames(q.startMs, q.endMs)]));
}

export function labelValuesApi(h: HistoryIndex | undefined, name: string, params: URLSearchParams): ApiAnswer {
  return answer(h, params, (h, q) => {
    if (!labelNameRe.test(name)) throw badData(`invalid label name: ${JSON.stringify(name)}`);
    return union(q.selectors.length ? q.selectors.map((m) => h.labelValues(name, q.startMs, q.endMs, m)) : [h.labelValues(name, q.startMs, q.endMs)]);
  });
}

interface Query {
  selectors: LabelMatcher[][];
  startMs: number;
  endMs: number;
}

function answer(h: HistoryIndex | undefined, params: URLSearchParams, run: (h: HistoryIndex, q: Query) => unknown[]): ApiAnswer {
  if (!h) return { status: 503, body: { status: 'error', errorType: 'unavailable', error: 'the local history is disabled (history.enabled: false)' } };
  try {
    const raw = params.getAll('match[]');
    if (raw.length > MAX_MATCHERS) throw badData(`at most ${MAX_MATCHERS} match[] parameters`);
    const selectors = raw.map((s) => parseSelector(s));
    const startMs = parseTime(params.get('start'), 'start', -Infinity);
    const endMs = parseTime(params.get('end'), 'end', Infinity);
    const limit = parseLimit(params.get('limit'));
    let data = run(h, { selectors, startMs, endMs });
    const body: Record<string, unknown> = { status: 'success', data };
    if (limit > 0 && data.length > limit) {
      data = data.slice(0, limit);
      body.data = data;
      body.warnings = ['results truncated due to limit'];
    }
    return { status: 200, body };
  } catch (err) {
    if (err instanceof OutriderError) return { status: 400, body: { status: 'error', errorType: 'bad_data', error: err.message } };
    throw err;
  }
}

/** Unix seconds (fractions allowed) or RFC 3339, as Prometheus's parseTime; absent → `dflt`. */
export function parseTime(v: string | null, param: string, dflt: number): number {
  if (v === null || v === '') return dflt;
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
    const ms = Number(v) * 1000;
    if (Number.isFinite(ms)) return Math.round(ms);
  }
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v)) {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return ms;
  }
  throw badData(`invalid parameter ${JSON.stringify(param)}: cannot parse ${JSON.stringify(v)} to a valid timestamp`);
}

function parseLimit(v: string | null): number {
  if (v === null || v === '') return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badData(`invalid parameter "limit": cannot parse ${JSON.stringify(v)} to a non-negative integer`);
  return n;
}

function union(lists: string[][]): string[] {
  const set = new Set<string>();
  for (const l of lists) for (const v of l) set.add(v);
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function sortedLabels(l: Labels): Labels {
  const out: Record<string, string> = {};
  for (const k of Object.keys(l).sort()) out[k] = l[k]!;
  return out;
}

function badData(msg: string): OutriderError {
  return new OutriderError('OUTRIDER_ERR_HISTORY_BAD_DATA', msg);
}
