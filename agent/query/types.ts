/**
 * The PromQL engine's face, as the rules, the query API and the live page use it. The engine evaluates over a
 * HistoryReader with Prometheus's semantics (lookback delta, staleness, extrapolation in rate/increase/delta).
 */
import type { Labels } from '../store/types';

export interface InstantSample {
  readonly labels: Labels;
  readonly value: number;
}

export interface RangeSeries {
  readonly labels: Labels;
  /** [time in ms, value] pairs, oldest first. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export type InstantResult =
  { readonly type: 'vector'; readonly samples: readonly InstantSample[] } | { readonly type: 'scalar'; readonly value: number } | { readonly type: 'string'; readonly value: string };

export interface RangeResult {
  readonly type: 'matrix';
  readonly series: readonly RangeSeries[];
}

/** A parsed and checked expression, evaluated as often as needed. */
export interface CompiledQuery {
  readonly expr: string;
  /** The value type the expression yields: 'vector', 'scalar', 'matrix' (a bare range selector) or 'string'. */
  readonly valueType: 'vector' | 'scalar' | 'matrix' | 'string';
  instant(tMs: number): InstantResult;
  range(startMs: number, endMs: number, stepMs: number): RangeResult;
}

export interface QueryEngine {
  /**
   * Parses and checks `expr`. A syntax error, or a construct the engine does not support, throws an OutriderError
   * whose message names it (and its position), so rule files fail at load time, not at evaluation.
   */
  compile(expr: string): CompiledQuery;
}
