/**
 * A stand-in QueryEngine for the rules' unit tests: each expression is a name bound to a function of the evaluation
 * time; an expression containing "((" is a syntax error, as a real engine would refuse it at compile time.
 */
import { OutriderError } from '../../agent/core/errors';
import type { CompiledQuery, InstantResult, InstantSample, QueryEngine, RangeResult } from '../../agent/query/types';

export type Answer = (tMs: number) => InstantSample[] | number;

export class FakeEngine implements QueryEngine {
  readonly answers = new Map<string, Answer>();
  calls = 0;

  set(expr: string, answer: Answer | InstantSample[]): this {
    this.answers.set(expr, typeof answer === 'function' ? answer : () => answer);
    return this;
  }

  compile(expr: string): CompiledQuery {
    if (expr.includes('((')) throw new OutriderError('OUTRIDER_ERR_QUERY_PARSE', `1:${expr.indexOf('((') + 1}: parse error: unexpected "("`);
    const valueType = expr.startsWith('scalar:') ? 'scalar' : expr.endsWith('[5m]') ? 'matrix' : 'vector';
    return {
      expr,
      valueType,
      instant: (tMs: number): InstantResult => {
        this.calls++;
        const a = this.answers.get(expr);
        if (!a) return { type: 'vector', samples: [] };
        const v = a(tMs);
        return typeof v === 'number' ? { type: 'scalar', value: v } : { type: 'vector', samples: v };
      },
      range: (): RangeResult => ({ type: 'matrix', series: [] }),
    };
  }
}
