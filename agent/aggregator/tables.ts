/**
 * Interning tables: per agent and epoch, the family and series definitions the agent sent (ids are the agent's).
 * In memory only; after a restart the aggregator answers 409 OUTRIDER_ERR_AGG_UNKNOWN_SERIES with the missing ids
 * and the agent sends the definitions again. Bounded by a total number of series definitions.
 *
 * An agent gives a series a new id each time it comes back to its store (a pod's series, a StatsD key that idled out
 * and returned), so an epoch's ids only grow. A definition no batch has named for `idleMs` is forgotten (every live
 * series is named at least once per agent full refresh, a minute by default), and so is a family no definition left
 * uses; should the agent name it again, the 409 above brings the definition back. Forgetting runs every quarter of
 * `idleMs`, and at the bound before a definition is refused (at most once a second there).
 */
import type { FamilyDef, SeriesDef } from '../wire/payload';
import type { ResolvedSeries } from './merge';
import { seriesKey } from './state-model';

interface Table {
  epoch: number;
  families: Map<number, FamilyDef>;
  series: Map<number, ResolvedSeries>;
}

/** `Tables`' default idle time of a definition before it is forgotten (ms). */
export const defaultDefinitionIdleMs = 15 * 60_000;

export class Tables {
  readonly #byAgent = new Map<string, Table[]>();
  #size = 0;
  readonly maxSeries: number;
  readonly idleMs: number;
  #lastSweepMs: number;
  #lastPressureSweepMs = -Infinity;
  /** Told how many definitions a sweep forgot. */
  readonly #onForgotten: ((n: number) => void) | undefined;

  constructor(maxSeries: number, opts: { idleMs?: number; nowMs?: number; onForgotten?: (n: number) => void } = {}) {
    this.maxSeries = maxSeries;
    this.idleMs = opts.idleMs ?? defaultDefinitionIdleMs;
    this.#lastSweepMs = opts.nowMs ?? Date.now();
    this.#onForgotten = opts.onForgotten;
  }

  get size(): number {
    return this.#size;
  }

  #table(agent: string, epoch: number): Table {
    let list = this.#byAgent.get(agent);
    if (!list) this.#byAgent.set(agent, (list = []));
    let t = list.find((x) => x.epoch === epoch);
    if (!t) {
      t = { epoch, families: new Map(), series: new Map() };
      list.push(t);
      list.sort((a, b) => a.epoch - b.epoch);
      // Keep the two most recent epochs (an old epoch's spool may still be replaying while the new one starts).
      while (list.length > 2) this.#size -= list.shift()!.series.size;
    }
    return t;
  }

  /** Registers definitions; returns false when the bound is reached (after forgetting the idle ones). */
  define(agent: string, epoch: number, families: readonly FamilyDef[], series: readonly SeriesDef[], nowMs = Date.now()): boolean {
    if (nowMs - this.#lastSweepMs >= this.idleMs / 4) this.#sweep(nowMs);
    const t = this.#table(agent, epoch);
    for (const f of families) t.families.set(f.fid, f);
    for (const s of series) {
      const fam = t.families.get(s.fid);
      if (!fam) continue;
      if (!t.series.has(s.sid)) {
        if (this.#size >= this.maxSeries && !this.#sweepAtBound(nowMs)) return false;
        this.#size++;
      }
      t.series.set(s.sid, { key: seriesKey(fam.name, s.labels), family: fam, labels: s.labels, usedMs: nowMs });
    }
    return true;
  }

  /** At the bound: forgets the idle definitions (at most once a second) and says whether there is room now. */
  #sweepAtBound(nowMs: number): boolean {
    if (nowMs - this.#lastPressureSweepMs < 1000) return false;
    this.#lastPressureSweepMs = nowMs;
    this.#sweep(nowMs);
    return this.#size < this.maxSeries;
  }

  /** Forgets the definitions no batch named for `idleMs`, and the families none of the rest uses. */
  #sweep(nowMs: number): void {
    this.#lastSweepMs = nowMs;
    const before = nowMs - this.idleMs;
    let n = 0;
    for (const list of this.#byAgent.values()) {
      for (const t of list) {
        const size = t.series.size;
        for (const [sid, r] of t.series) if (r.usedMs < before) t.series.delete(sid);
        if (t.series.size === size) continue;
        n += size - t.series.size;
        const used = new Set<number>();
        for (const r of t.series.values()) used.add(r.family.fid);
        for (const fid of t.families.keys()) if (!used.has(fid)) t.families.delete(fid);
      }
    }
    this.#size -= n;
    if (n > 0) this.#onForgotten?.(n);
  }

  /** Forgets every definition of an agent (all its epochs). */
  forgetAgent(agent: string): void {
    const list = this.#byAgent.get(agent);
    if (!list) return;
    for (const t of list) this.#size -= t.series.size;
    this.#byAgent.delete(agent);
  }

  /** The agent's series definitions of an epoch (resolve a batch's ids against it once). */
  seriesOf(agent: string, epoch: number): Map<number, ResolvedSeries> | undefined {
    const list = this.#byAgent.get(agent);
    if (list) for (const t of list) if (t.epoch === epoch) return t.series;
    return undefined;
  }

  resolve(agent: string, epoch: number, sid: number): ResolvedSeries | undefined {
    return this.#byAgent
      .get(agent)
      ?.find((x) => x.epoch === epoch)
      ?.series.get(sid);
  }
}
