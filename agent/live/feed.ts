/**
 * What the live page learns from the store's change feed alone: updates per second and series by source, the busiest
 * application series, and the families with the most series per source. It reads a `reader()` cursor once per
 * frame, so it costs what changed since the last frame, and its tables exist only while a page is open.
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

interface Known {
  source: string;
  family: string;
}

export class SourceTracker {
  readonly #reader: ChangeReader;
  readonly #sourceOf: SourceOf;
  readonly #known = new Map<number, Known>();
  readonly #bySource = new Map<string, Map<string, number>>();
  readonly #rates = new Rates(20_000, 120);
  #lastMs: number | undefined;

  constructor(store: Store, sourceOf: SourceOf) {
    this.#reader = store.reader();
    this.#sourceOf = sourceOf;
  }

  step(nowMs: number): FeedRound {
    const cs = this.#reader.next();
    if (cs.resync) {
      this.#known.clear();
      this.#bySource.clear();
    }
    for (const s of cs.removed) this.#forget(s);
    const changed = new Map<string, number>();
    const top: Array<[string, number]> = [];
    this.#rates.begin();
    for (const s of cs.series) {
      const k = this.#learn(s);
      changed.set(k.source, (changed.get(k.source) ?? 0) + 1);
      if (!cs.resync && !notApplication.has(k.source)) this.#score(s, top);
    }
    const dtMs = this.#lastMs === undefined ? 0 : nowMs - this.#lastMs;
    this.#lastMs = nowMs;
    const updates: Record<string, number | null> = {};
    const cardinality: Record<string, number | null> = {};
    const topFamilies: Record<string, Array<[string, number]>> = {};
    for (const [source, fams] of this.#bySource) {
      let n = 0;
      for (const c of fams.values()) n += c;
      cardinality[source] = n;
      updates[source] = cs.resync || dtMs <= 0 ? null : Math.round(((changed.get(source) ?? 0) * 1000) / dtMs);
      topFamilies[source] = [...fams].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP_FAMILIES);
    }
    top.sort((a, b) => b[1] - a[1]);
    return { updates, cardinality, top: Object.fromEntries(top.slice(0, Math.min(5, MAX_COLUMNS))), topFamilies };
  }

  /** Series known (tests). */
  get size(): number {
    return this.#known.size;
  }

  #learn(s: Series): Known {
    const had = this.#known.get(s.id);
    if (had) return had;
    const k = { source: this.#sourceOf(s.owner, s.family.name), family: s.family.name };
    this.#known.set(s.id, k);
    let fams = this.#bySource.get(k.source);
    if (!fams) this.#bySource.set(k.source, (fams = new Map()));
    fams.set(k.family, (fams.get(k.family) ?? 0) + 1);
    return k;
  }

  #forget(s: Series): void {
    const k = this.#known.get(s.id);
    if (!k) return;
    this.#known.delete(s.id);
    const fams = this.#bySource.get(k.source);
    const n = (fams?.get(k.family) ?? 1) - 1;
    if (n > 0) fams!.set(k.family, n);
    else fams?.delete(k.family);
    if (fams && fams.size === 0) this.#bySource.delete(k.source);
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
