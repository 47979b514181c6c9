/**
 * Budgets: every series counts against the source that created it — the scope a writer opened with `withSource`
 * (statsd, push, otlp, remote_write), else what the store's `sourceOf` makes of its owner (host, scrape, self...),
 * else `other` — and a source past its budget is refused new series while the others still get theirs, so one
 * source cannot starve another. The agent's own telemetry (source `self`) is outside `maxSeries`, the budgets and
 * shedding, so the counters that say what was refused are never refused themselves; it has a fixed bound of its
 * own (`MAX_SELF_SERIES`). While shedding (the memory limiter), new series of every other source are refused.
 */
import type { DropReason } from './types';

/** The agent's own telemetry: never refused by the global bound, the budgets or shedding. */
export const SELF_SOURCE = 'self';
/** The source of a series whose writer opened no scope and whose owner names none. */
export const OTHER_SOURCE = 'other';
/** Bound on the agent's own series (they are a few hundred; this only keeps a bug from growing them without end). */
export const MAX_SELF_SERIES = 20_000;

/** The store's settings a new series is admitted by. */
export interface SourceLimits {
  readonly maxSeries: number;
  readonly budgets: ReadonlyMap<string, number>;
  readonly shedding: boolean;
}

/** Where a refusal goes (the store counts it and tells its `onDrop`). */
export type Refuse = (reason: DropReason, family: string, detail: string, source: string) => undefined;

/** Series held per source, the writer's open scope, and the admission of a new series by its source. */
export class SourceCounts {
  readonly #perSource = new Map<string, number>();
  readonly #limits: SourceLimits;
  readonly #refuse: Refuse;
  #scope: string | undefined;

  constructor(limits: SourceLimits, refuse: Refuse) {
    this.#limits = limits;
    this.#refuse = refuse;
  }

  /** The scope a writer opened (`withSource`), if any. */
  get scope(): string | undefined {
    return this.#scope;
  }

  /** Series held per source. */
  bySource(): ReadonlyMap<string, number> {
    return this.#perSource;
  }

  withSource<T>(source: string, fn: () => T): T {
    const prev = this.#scope;
    this.#scope = source;
    try {
      return fn();
    } finally {
      this.#scope = prev;
    }
  }

  /**
   * Counts a new series of family `family` against `source`, the store holding `seriesCount` series; false (the
   * refusal passed on) when a bound refuses it.
   */
  admit(source: string, family: string, seriesCount: number): boolean {
    const held = this.#perSource.get(source) ?? 0;
    if (source === SELF_SOURCE) {
      if (held >= MAX_SELF_SERIES) return this.#no('max_series', family, `the agent's own telemetry holds ${held} series`, source);
    } else {
      const l = this.#limits;
      const total = seriesCount - (this.#perSource.get(SELF_SOURCE) ?? 0);
      if (total >= l.maxSeries) return this.#no('max_series', family, `store holds ${total} series`, source);
      const budget = l.budgets.get(source);
      if (budget !== undefined && budget > 0 && held >= budget) return this.#no('source_budget', family, `${source} holds ${held} series (its budget)`, source);
      if (l.shedding) return this.#no('memory_limit', family, 'the memory limiter is shedding new series', source);
    }
    this.#perSource.set(source, held + 1);
    return true;
  }

  /** A series of `source` left the store. */
  release(source: string): void {
    const held = (this.#perSource.get(source) ?? 1) - 1;
    if (held > 0) this.#perSource.set(source, held);
    else this.#perSource.delete(source);
  }

  #no(reason: DropReason, family: string, detail: string, source: string): false {
    this.#refuse(reason, family, detail, source);
    return false;
  }
}
