/**
 * What the live page learns from the store's change feed: series updated per second by source and the busiest
 * application series (a `reader()` cursor read once per frame, so it costs what changed since the last frame), and
 * series by source with the families holding the most (a walk over the families every few frames).
 */
import type { ChangeReader, Series, Store } from '../store/store';
import { MAX_COLUMNS, Rates } from './panels';

/** Where a series came from, by its owner (and its family's name, for series written without an owner). */
export type SourceOf = (owner: string | undefined, family: string) => string;

/** Sources the busiest-series panel leaves out (the host and the agent itself have panels of their own). */
const notApplication = new Set(['host', 'agent']);

/** Top families listed per source. */
export const TOP_FAMILIES = 5;

export interface FeedRound {
  /** Changed series per second by source (undefined on the first round and after a resync). */
  updates: Record<string, number | null>;
  /** Live series by source. */
  cardinality: Record<string, number | null>;
  /** The busiest application series: per-second rate for counters (and distributions' counts), value for others. */
  top: Record<string, number | null>;
  /** Per source, its families with the most series, most first. */
  topFamilies: Record<string, Array<[string, number]>>;
}

export class SourceTracker {
  readonly #store: Store;
  readonly #reader: ChangeReader;
  readonly #sourceOf: SourceOf;
  readonly #rates = new Rates(20_000, 120);
  #lastMs: number | undefined;
  #steps = 0;
  #cardinality: Map<string, Map<string, number>> = new Map();

  constructor(store: Store, sourceOf: SourceOf) {
    this.#store = store;
    this.#reader = store.reader();
    this.#sourceOf = sourceOf;
  }

  step(nowMs: number): FeedRound {
    const cs = this.#reader.next();
    const changed = new Map<string, number>();
    const top: Array<[string, number]> = [];
    let newFamily = false;
    this.#rates.begin();
    for (const s of cs.series) {
      const source = this.#sourceOf(s.owner, s.family.name);
      if (!newFamily && !this.#cardinality.get(source)?.has(s.family.name)) newFamily = true;
      changed.set(source, (changed.get(source) ?? 0) + 1);
      if (!cs.resync && !notApplication.has(source)) this.#score(s, top);
    }
    // Series by source: a walk over the families (not the series), every 5 rounds or when a family is new.
    if (this.#steps++ % 5 === 0 || newFamily) this.#cardinality = this.#countFamilies();
    const dtMs = this.#lastMs === undefined ? 0 : nowMs - this.#lastMs;
    this.#lastMs = nowMs;
    const updates: Record<string, number | null> = {};
    const cardinality: Record<string, number | null> = {};
    const topFamilies: Record<string, Array<[string, number]>> = {};
    for (const source of new Set([...this.#cardinality.keys(), ...changed.keys()])) {
      const fams = this.#cardinality.get(source) ?? new Map<string, number>();
      let n = 0;
      for (const c of fams.values()) n += c;
      cardinality[source] = n;
      updates[source] = cs.resync || dtMs <= 0 ? null : Math.round(((changed.get(source) ?? 0) * 1000) / dtMs);
      topFamilies[source] = [...fams].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP_FAMILIES);
    }
    top.sort((a, b) => b[1] - a[1]);
    return { updates, cardinality, top: Object.fromEntries(top.slice(0, Math.min(5, MAX_COLUMNS))), topFamilies };
  }

  /**
   * Series per source and family. A family is counted under the source of its first series: a family's series
   * share an owner kind (a host collector's, the scrape targets', StatsD's), and this keeps the walk at the number
   * of families, with no table per series.
   */
  #countFamilies(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const f of this.#store.families()) {
      const first = f.series.values().next();
      if (first.done) continue;
      const source = this.#sourceOf(first.value.owner, f.name);
      let fams = out.get(source);
      if (!fams) out.set(source, (fams = new Map()));
      fams.set(f.name, f.series.size);
    }
    return out;
  }

  #score(s: Series, top: Array<[string, number]>): void {
    const counter = s.family.type === 'counter' || s.dist !== undefined;
    const v = s.dist ? s.dist.count : s.value;
    const x = counter ? this.#rates.rate(String(s.id), s.updatedMs, v) : v;
    if (x === undefined || !Number.isFinite(x)) return;
    const name = (s.family.name + s.labelText).slice(0, 120);
    top.push([counter ? `${name} /s` : name, x]);
  }
}
/** Owners to sources: scrape targets, the agent's own telemetry, the host collectors, the rest by owner name. */
export function sourceClassifier(hostOwners: ReadonlySet<string>): SourceOf {
  return (owner, family) => {
    // The collector runner's own per-collector series (node_scrape_collector_*) carry no owner.
    if (owner === undefined) return family.startsWith('node_') ? 'host' : 'statsd/otlp/push';
    if (owner.startsWith('scrape:')) return 'scrape';
    if (owner === 'outrider') return 'agent';
    if (hostOwners.has(owner)) return 'host';
    const i = owner.indexOf(':');
    return i > 0 ? owner.slice(0, i) : owner;
  };
}
