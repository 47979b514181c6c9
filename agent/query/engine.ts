/**
 * The PromQL engine over the local history (QueryEngine): compile once, evaluate at an instant or over a range,
 * under a limit on the samples an evaluation touches and a time budget.
 */
import { OutriderError } from '../core/errors';
import type { HistoryReader } from '../history/types';
import type { Expr } from './ast';
import { typeOf } from './ast';
import { Evaluation, type EvalLimits } from './eval';
import { evalErrorCode } from './functions';
import { parseExpr } from './parse';
import type { CompiledQuery, InstantResult, QueryEngine, RangeResult, RangeSeries } from './types';

export interface EngineOptions {
  /** How far back an instant selector looks for a sample (Prometheus's --query.lookback-delta, 5 m). */
  lookbackMs?: number;
  /** The step of a subquery that names none (Prometheus's global evaluation interval, 1 m). */
  subqueryStepMs?: number;
  /** Samples one evaluation may load and touch (Prometheus's --query.max-samples, 50 000 000). */
  maxSamples?: number;
  /** Time budget of one evaluation in ms (Prometheus's --query.timeout, 2 m). */
  timeoutMs?: number;
  /** Steps one range evaluation may have (Prometheus refuses more than 11 000 points per series). */
  maxSteps?: number;
}

export const engineDefaults: Required<EngineOptions> = {
  lookbackMs: 300_000,
  subqueryStepMs: 60_000,
  maxSamples: 50_000_000,
  timeoutMs: 120_000,
  maxSteps: 11_000,
};

export const badRangeCode = 'OUTRIDER_ERR_QUERY_BAD_RANGE';

/** An instant evaluation's value, matrices included (a bare range selector or subquery evaluated at one time). */
export type AnyResult = InstantResult | RangeResult;

export class PromqlQuery implements CompiledQuery {
  readonly expr: string;
  readonly valueType: CompiledQuery['valueType'];
  readonly ast: Expr;
  readonly #history: HistoryReader;
  readonly #opts: Required<EngineOptions>;

  constructor(expr: string, ast: Expr, history: HistoryReader, opts: Required<EngineOptions>) {
    this.expr = expr;
    this.ast = ast;
    this.valueType = typeOf(ast);
    this.#history = history;
    this.#opts = opts;
  }

  #limits(overrides?: { timeoutMs?: number; maxSamples?: number }): EvalLimits {
    return {
      lookbackMs: this.#opts.lookbackMs,
      subqueryStepMs: this.#opts.subqueryStepMs,
      maxSamples: overrides?.maxSamples ?? this.#opts.maxSamples,
      deadlineMs: Date.now() + (overrides?.timeoutMs ?? this.#opts.timeoutMs),
    };
  }

  /** The value at tMs, a matrix included: what the query API's instant endpoint returns. */
  evaluateAt(tMs: number, limits?: { timeoutMs?: number; maxSamples?: number }): AnyResult {
    const ev = new Evaluation(this.#history, this.#limits(limits), tMs, tMs);
    const v = ev.instantAt(this.ast, tMs);
    switch (v.type) {
      case 'vector':
        return { type: 'vector', samples: v.v.map((s) => ({ labels: s.labels, value: s.value })) };
      case 'scalar':
        return { type: 'scalar', value: v.v };
      case 'string':
        return { type: 'string', value: v.v };
      case 'matrix':
        return { type: 'matrix', series: v.v.series.map((s) => ({ labels: s.labels, points: Array.from(s.ts, (t, i) => [t, s.vs[i]!] as const) })) };
    }
  }

  instant(tMs: number): InstantResult {
    const r = this.evaluateAt(tMs);
    if (r.type === 'matrix') throw new OutriderError(evalErrorCode, `${this.expr}: a range vector has no instant value; use it inside a function`);
    return r;
  }

  range(startMs: number, endMs: number, stepMs: number, limits?: { timeoutMs?: number; maxSamples?: number }): RangeResult {
    if (!(stepMs > 0)) throw new OutriderError(badRangeCode, 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (endMs < startMs) throw new OutriderError(badRangeCode, 'end timestamp must not be before start time');
    if ((endMs - startMs) / stepMs > this.#opts.maxSteps) {
      throw new OutriderError(badRangeCode, `exceeded maximum resolution of ${this.#opts.maxSteps} points per timeseries. Try decreasing the query resolution (?step=XX)`);
    }
    const ev = new Evaluation(this.#history, this.#limits(limits), startMs, endMs);
    const series: RangeSeries[] = ev.rangeOver(this.ast, startMs, endMs, stepMs);
    return { type: 'matrix', series };
  }
}

export class PromqlEngine implements QueryEngine {
  readonly #history: HistoryReader;
  readonly #opts: Required<EngineOptions>;

  constructor(history: HistoryReader, options: EngineOptions = {}) {
    this.#history = history;
    this.#opts = { ...engineDefaults, ...options };
  }

  compile(expr: string): PromqlQuery {
    return new PromqlQuery(expr, parseExpr(expr), this.#history, this.#opts);
  }
}
