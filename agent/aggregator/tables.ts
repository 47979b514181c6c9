/**
 * Interning tables: per agent and epoch, the family and series definitions the agent sent (ids are the agent's).
 * In memory only; after a restart the aggregator answers 409 OUTRIDER_ERR_AGG_UNKNOWN_SERIES with the missing ids
 * and the agent sends the definitions again. Bounded by a total number of series definitions.
 */
import type { FamilyDef, SeriesDef } from '../wire/payload';
import type { ResolvedSeries } from './merge';
import { seriesKey } from './state-model';

interface Table {
  epoch: number;
  families: Map<number, FamilyDef>;
  series: Map<number, ResolvedSeries>;
}

export class Tables {
  readonly #byAgent = new Map<string, Table[]>();
  #size = 0;
  readonly maxSeries: number;

  constructor(maxSeries: number) {
    this.maxSeries = maxSeries;
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

  /** Registers definitions; returns false when the bound is reached. */
  define(agent: string, epoch: number, families: readonly FamilyDef[], series: readonly SeriesDef[]): boolean {
    const t = this.#table(agent, epoch);
    for (const f of families) t.families.set(f.fid, f);
    for (const s of series) {
      const fam = t.families.get(s.fid);
      if (!fam) continue;
      if (!t.series.has(s.sid)) {
        if (this.#size >= this.maxSeries) return false;
        this.#size++;
      }
      t.series.set(s.sid, { key: seriesKey(fam.name, s.labels), family: fam, labels: s.labels });
    }
    return true;
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
