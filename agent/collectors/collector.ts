/**
 * The collector contract. A collector is a small module: pure parsers `(text) → values`, and a `collect` that reads
 * files through the context's paths and returns a full snapshot of its families. Nothing renders or reports from a
 * collector directly: the runner writes the snapshot into the store.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import type { Paths } from '../core/paths';
import type { FamilySamples, Sample } from '../store/types';

export type { Paths } from '../core/paths';
export { resolvePaths } from '../core/options';

/** Problems a collector met in its input (garbled or truncated lines): the runner logs them, the run goes on. */
export type Issues = string[];

export interface CollectContext {
  paths: Paths;
  config: Config;
  log: Logger;
  /** Aborted when the run's time budget is spent; long operations should check it. */
  signal: AbortSignal;
  /** Wall clock at the start of the run (ms). */
  nowMs: number;
  /**
   * Where the collector notes what it skipped in its input; the runner logs them after the run (the first issue
   * and the count of others, at most once a minute per collector). Parsers take it as their `issues` argument.
   */
  issues: Issues;
}

export interface Collector {
  readonly name: string;
  /** Whether the collector runs when `collectors.enabled` is left at its default. */
  readonly defaultEnabled: boolean;
  /** The agent's own telemetry: not reported in node_scrape_collector_* (those describe the registered kinds). */
  readonly internal?: boolean;
  /** Own interval (ms); the runner falls back to `collectors.interval`. */
  readonly intervalMs?: number;
  /** Own time budget of one run (ms); the runner falls back to `collectors.timeout`. */
  readonly timeoutMs?: number;
  /**
   * Writes its series into the store itself, through handles it keeps (the agent's own telemetry): the runner does
   * not replace the owner's series with the (empty) snapshot `collect` returns.
   */
  readonly writesOwnSeries?: boolean;
  /** Returns the collector's full snapshot. Throws NoDataError when its source files do not exist here. */
  collect(ctx: CollectContext): Promise<FamilySamples[]>;
  /** Releases resources (helper threads, caches). */
  close?(): Promise<void> | void;
}

/** "This host has no such source" (e.g. no /proc/pressure): logged once at debug, never a scrape failure. */
export class NoDataError extends Error {
  readonly code = 'OUTRIDER_ERR_COLLECTOR_NO_DATA';
  constructor(message: string) {
    // Raised every run by each collector whose source this host lacks, and only ever read for its message: no stack.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'NoDataError';
  }
}

/** Builds a family snapshot (a convenience for collectors). */
export function family(name: string, help: string, type: FamilySamples['type'], samples: FamilySamples['samples'] = []): FamilySamples {
  return { name, help, type, samples };
}

/**
 * Families of one sample without labels that a collector writes every round under the same names (meminfo's,
 * netstat's, vmstat's and /proc/stat's fields): each made once and its value set again each round, so a round makes
 * no family, sample or label set for them. The store reads a snapshot while it is written and keeps none of its
 * objects (it copies a new series' labels); a caller of `collect` must not keep one round's families past the
 * collector's next round. Bounded: past `max` names the table starts over.
 */
export class ScalarFamilies {
  readonly #fams = new Map<string, { fam: FamilySamples; sample: Sample }>();

  constructor(readonly max = 1024) {}

  /** The family `name` with `value` as its one sample. */
  family(name: string, help: string, type: FamilySamples['type'], value: number): FamilySamples {
    let e = this.#fams.get(name);
    if (e !== undefined && e.fam.help === help && e.fam.type === type) {
      e.sample.value = value;
      return e.fam;
    }
    if (e === undefined && this.#fams.size >= this.max) this.#fams.clear();
    const sample: Sample = { labels: {}, value };
    e = { fam: { name, help, type, samples: [sample] }, sample };
    this.#fams.set(name, e);
    return e.fam;
  }
}
