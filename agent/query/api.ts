/**
 * Prometheus's query API on the agent's endpoint: `/api/v1/query` and `/api/v1/query_range`, GET or POST (form body),
 * answered in Prometheus's JSON shape so Grafana's Prometheus data source works against the agent. Errors carry
 * Prometheus's errorType and status: bad_data 400 (parse and parameter errors), execution 422 (evaluation errors and
 * the samples limit), timeout 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isOutriderError } from '../core/errors';
import { readBody, sendJson } from '../core/http-server';
import type { RouteSink } from '../core/lazy-routes';
import type { HistoryReader } from '../history/types';
import { PromqlEngine, badRangeCode, type AnyResult } from './engine';
import { timeoutCode, tooManySamplesCode } from './eval';
import { formatFloatPlain, parseDurationMs } from './literals';
import type { QueryOptions } from './options';
import { parseErrorCode, unsupportedCode } from './parse';
import type { RangeResult } from './types';

/** Largest form body a POST may carry. */
export const MAX_FORM_BYTES = 256 * 1024;

interface Answer {
  status: number;
  body: unknown;
}

class BadData extends Error {}

function fail(status: number, errorType: string, error: string): Answer {
  return { status, body: { status: 'error', errorType, error } };
}

/** Prometheus's time parameter: Unix seconds (fractions allowed) or RFC 3339. */
export function parseTime(text: string | null, fallbackMs: number, what: string): number {
  if (text === null || text === '') return fallbackMs;
  if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i.test(text)) return Math.round(Number(text) * 1000);
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) throw new BadData(`invalid parameter "${what}": cannot parse "${text}" to a valid timestamp`);
  return ms;
}

function parseStep(text: string | null, what: string): number {
  if (text === null || text === '') throw new BadData(`invalid parameter "${what}": missing`);
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) throw new BadData(`invalid parameter "${what}": cannot parse "${text}" to a positive duration`);
  return ms;
}

function sampleValue(tMs: number, v: number): [number, string] {
  return [tMs / 1000, formatFloatPlain(v)];
}

function instantBody(r: AnyResult, tMs: number): unknown {
  switch (r.type) {
    case 'vector':
      return { resultType: 'vector', result: r.samples.map((s) => ({ metric: s.labels, value: sampleValue(tMs, s.value) })) };
    case 'scalar':
      return { resultType: 'scalar', result: sampleValue(tMs, r.value) };
    case 'string':
      return { resultType: 'string', result: [tMs / 1000, r.value] };
    case 'matrix':
      return matrixBody(r);
  }
}

function matrixBody(r: RangeResult): unknown {
  const series = r.series.slice().sort((a, b) => labelOrder(a.labels, b.labels));
  return { resultType: 'matrix', result: series.map((s) => ({ metric: s.labels, values: s.points.map(([t, v]) => sampleValue(t, v)) })) };
}

function labelOrder(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): number {
  const ka = JSON.stringify(Object.entries(a).sort());
  const kb = JSON.stringify(Object.entries(b).sort());
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function errorAnswer(err: unknown): Answer {
  if (err instanceof BadData) return fail(400, 'bad_data', err.message);
  if (isOutriderError(err, parseErrorCode) || isOutriderError(err, unsupportedCode) || isOutriderError(err, badRangeCode)) return fail(400, 'bad_data', err.message);
  if (isOutriderError(err, timeoutCode)) return fail(503, 'timeout', err.message);
  if (isOutriderError(err, tooManySamplesCode)) return fail(422, 'execution', err.message);
  if (isOutriderError(err)) return fail(422, 'execution', err.message);
  return fail(500, 'internal', (err as Error).message);
}

export class QueryApi {
  readonly #history: () => HistoryReader | undefined;
  readonly #opts: () => QueryOptions;
  readonly #engines = new WeakMap<HistoryReader, PromqlEngine>();
  readonly #now: () => number;

  constructor(history: () => HistoryReader | undefined, opts: () => QueryOptions, now: () => number = Date.now) {
    this.#history = history;
    this.#opts = opts;
    this.#now = now;
  }

  #engine(): PromqlEngine | undefined {
    const h = this.#history();
    if (!h) return undefined;
    let e = this.#engines.get(h);
    if (!e) this.#engines.set(h, (e = new PromqlEngine(h)));
    return e;
  }

  #limits(p: URLSearchParams): { timeoutMs: number; maxSamples: number } {
    const o = this.#opts();
    const t = p.get('timeout');
    const asked = t ? parseStep(t, 'timeout') : o.timeoutMs;
    if (!(asked > 0)) throw new BadData(`invalid parameter "timeout": must be positive`);
    return { timeoutMs: Math.min(asked, o.timeoutMs), maxSamples: o.maxSamples };
  }

  query(p: URLSearchParams): Answer {
    const engine = this.#engine();
    if (!engine) return fail(404, 'not_found', 'the local history is disabled (history.enabled: false)');
    try {
      const expr = p.get('query');
      if (!expr) throw new BadData('invalid parameter "query": missing');
      const tMs = parseTime(p.get('time'), this.#now(), 'time');
      const limits = this.#limits(p);
      const r = engine.compile(expr).evaluateAt(tMs, limits);
      return { status: 200, body: { status: 'success', data: instantBody(r, tMs) } };
    } catch (err) {
      return errorAnswer(err);
    }
  }

  queryRange(p: URLSearchParams): Answer {
    const engine = this.#engine();
    if (!engine) return fail(404, 'not_found', 'the local history is disabled (history.enabled: false)');
    try {
      const expr = p.get('query');
      if (!expr) throw new BadData('invalid parameter "query": missing');
      const start = parseTime(p.get('start'), NaN, 'start');
      const end = parseTime(p.get('end'), NaN, 'end');
      if (Number.isNaN(start) || Number.isNaN(end)) throw new BadData('invalid parameter "start" or "end": missing');
      const step = parseStep(p.get('step'), 'step');
      const r = engine.compile(expr).range(start, end, step, this.#limits(p));
      return { status: 200, body: { status: 'success', data: matrixBody(r) } };
    } catch (err) {
      return errorAnswer(err);
    }
  }

  mount(server: RouteSink): void {
    const handle = (run: (p: URLSearchParams) => Answer) => async (req: IncomingMessage, res: ServerResponse, url: URL) => {
      const p = await paramsOf(req, url);
      if (!p) return sendJson(res, 400, fail(400, 'bad_data', `the form body must be application/x-www-form-urlencoded and at most ${MAX_FORM_BYTES} bytes`).body);
      const a = run(p);
      sendJson(res, a.status, a.body);
    };
    server.route(
      ['GET', 'POST'],
      '/api/v1/query',
      handle((p) => this.query(p)),
    );
    server.route(
      ['GET', 'POST'],
      '/api/v1/query_range',
      handle((p) => this.queryRange(p)),
    );
  }
}

async function paramsOf(req: IncomingMessage, url: URL): Promise<URLSearchParams | undefined> {
  const params = new URLSearchParams(url.search);
  if (req.method !== 'POST') return params;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  try {
    const body = await readBody(req, MAX_FORM_BYTES);
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
    return params;
  } catch {
    return undefined;
  }
}
