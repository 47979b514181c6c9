/**
 * Shared pieces of the fast-check fuzz targets: the run count (OUTRIDER_FUZZ_RUNS, brief in the suite, long from the
 * `npm run fuzz:*` scripts), a tally of executions and of the slowest single input (reported as a test comment, so a
 * long run prints its executions per second; never asserted: times are the machine's), and the check that a thrown
 * value is the module's own coded error.
 */
import { isOutriderError } from '../../agent/core/errors';

export const RUNS = Number(process.env.OUTRIDER_FUZZ_RUNS ?? 300);

export class FuzzTally {
  executions = 0;
  slowestMs = 0;
  readonly #start = performance.now();

  /** Runs one input through `fn`, timing it. */
  run<T>(fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.executions++;
      this.slowestMs = Math.max(this.slowestMs, performance.now() - t0);
    }
  }

  summary(what: string): string {
    const s = (performance.now() - this.#start) / 1000;
    return `${this.executions} ${what} in ${s.toFixed(1)} s (${Math.round(this.executions / s)}/s), slowest input ${this.slowestMs.toFixed(1)} ms`;
  }
}

/** Throws unless `err` is an OutriderError whose code is one of `codes`: anything else escaping a parser is a bug. */
export function expectCoded(err: unknown, codes: readonly string[]): void {
  if (isOutriderError(err) && codes.includes(err.code)) return;
  const what = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
  throw new Error(`threw ${what}, not one of ${codes.join(', ')}`);
}
