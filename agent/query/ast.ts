/**
 * The PromQL syntax tree the evaluator walks: built from the Prometheus grammar's concrete tree (parse.ts), with
 * literals decoded, durations in ms and every node's value type checked.
 */
import type { LabelMatcher } from '../history/types';

export type ValueType = 'vector' | 'scalar' | 'matrix' | 'string';

/** The `@` modifier: a fixed time, or the query's start or end. */
export type AtSpec = { readonly kind: 'time'; readonly ms: number } | { readonly kind: 'start' } | { readonly kind: 'end' };

export interface VectorSelector {
  readonly kind: 'vector';
  readonly matchers: readonly LabelMatcher[];
  readonly offsetMs: number;
  readonly at?: AtSpec;
}

export interface MatrixSelector {
  readonly kind: 'matrix';
  readonly vector: VectorSelector;
  readonly rangeMs: number;
}

export interface Subquery {
  readonly kind: 'subquery';
  readonly expr: Expr;
  readonly rangeMs: number;
  /** Undefined: the engine's default subquery step. */
  readonly stepMs?: number;
  readonly offsetMs: number;
  readonly at?: AtSpec;
}

export interface Call {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Expr[];
}

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'quantile' | 'count_values' | 'group';

export interface Aggregate {
  readonly kind: 'aggregate';
  readonly op: AggregateOp;
  readonly param?: Expr;
  readonly expr: Expr;
  readonly grouping: readonly string[];
  readonly without: boolean;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '==' | '!=' | '>' | '<' | '>=' | '<=' | 'and' | 'or' | 'unless';

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  readonly card: Cardinality;
  /** on(...) when true, ignoring(...) when false. */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** group_left/group_right labels copied from the "one" side. */
  readonly include: readonly string[];
}

export interface Binary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly bool: boolean;
  /** Set when both sides are vectors. */
  readonly matching?: VectorMatching;
}

export interface Unary {
  readonly kind: 'unary';
  readonly op: '+' | '-';
  readonly expr: Expr;
}

export interface NumberLiteral {
  readonly kind: 'number';
  readonly value: number;
}

export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
}

export type Expr = VectorSelector | MatrixSelector | Subquery | Call | Aggregate | Binary | Unary | NumberLiteral | StringLiteral;

export const comparisonOps: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const setOps: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);

export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'vector':
      return 'vector';
    case 'matrix':
    case 'subquery':
      return 'matrix';
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'unary':
      return typeOf(e.expr);
    case 'aggregate':
      return 'vector';
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'call':
      return e.name === 'time' || e.name === 'scalar' ? 'scalar' : 'vector';
  }
}
