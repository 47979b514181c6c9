/**
 * Turns "what changed in the store since the last flush" into batch contents, and encodes them with interning: a
 * family's name/type/help and a series' labels travel once per interning scope and a small integer id afterwards.
 * The wire series id is the store's `series.id` (unique for the life of the process, i.e. the epoch). The scope is
 * reset when the spool opens a new segment (so every segment carries the definitions its records use) and when the
 * aggregator says it lost its table.
 *
 * A definition is kept while its series is in the store and, once the series is gone, until every batch that could
 * carry it is settled (the reporter says which collects are: `prune`), so the per-series state stays bounded by the
 * live series and the unsettled batches, not by every series the process ever reported.
 */
import { withEnvLabels } from '../core/labels';
import type { Series, Store } from '../store/store';
import type { MetricType } from '../store/types';
import type { BatchMeta, BatchPayload, DistValue, FamilyDef, SeriesDef } from '../wire/payload';

/** What the batcher keeps per series: its definition and the value an aggregator last acknowledged (for a handover). */
export interface SeriesEntry {
  readonly def: SeriesDef;
  /** Sequence of the acknowledged batch `ackValue` / `ackDist` come from; 0 while none. */
  ackSeq: number;
  ackValue: number;
  ackDist: DistValue | undefined;
  /** The number of the last collect that could carry the series once it left the store; -1 while it is in it. */
  goneAt: number;
  /** The interning scope its definition was last sent in (known to the aggregator while that scope lasts); 0: none. */
  sentScope: number;
}

/**
 * A batch's samples in columns: the series (their entries: an acknowledgement writes its value there) and their
 * values, no object per sample.
 */
export interface BatchContent {
  entries: SeriesEntry[];
  /** The scalar value of `entries[i]` (0 where it is a distribution). */
  values: number[];
  /** The distribution of `entries[i]` (undefined where it is a scalar); undefined when the batch has none. */
  dists: (DistValue | undefined)[] | undefined;
  /** Store generation the flush read. */
  generation: number;
  /** Rough encoded size, for the max-bytes bound. */
  estBytes: number;
}

export interface BatcherOptions {
  maxSamples: number;
  maxBytes: number;
  /** Labels added to every series definition (pod identity); a series' own label of the same name wins. */
  extraLabels?: Readonly<Record<string, string>>;
  /** Hook for a mergeable sketch (StatsD timers' DDSketch); returns what to put on the wire, or undefined. */
  encodeSketch?: (sketch: unknown) => unknown;
}

export class Batcher {
  readonly #store: Store;
  /** Family ids by name (and restart flag), while an entry uses them. */
  readonly #fids = new Map<string, number>();
  /** Families by id: a family is forgotten with the last series entry that uses it. */
  readonly #fams = new Map<number, FamilyEntry>();
  #nextFid = 1;
  readonly #seriesDefs = new Map<number, SeriesEntry>();
  readonly #knownFam = new Set<number>();
  /** The interning scope: a definition is known to the aggregator when its entry's `sentScope` is this. */
  #scope = 1;
  #lastGen = -1;
  /** Collects so far. */
  #collects = 0;
  /** Entries of series gone from the store, oldest first (their `goneAt` in order), waiting for `prune`. */
  #gone: SeriesEntry[] = [];
  #goneHead = 0;
  maxSamples: number;
  maxBytes: number;
  readonly #encodeSketch: ((sketch: unknown) => unknown) | undefined;

  readonly #extraLabels: Readonly<Record<string, string>>;

  constructor(store: Store, opts: BatcherOptions) {
    this.#store = store;
    this.maxSamples = opts.maxSamples;
    this.maxBytes = opts.maxBytes;
    this.#encodeSketch = opts.encodeSketch;
    this.#extraLabels = opts.extraLabels ?? {};
  }

  /** Definitions remembered for this epoch (for resending after the aggregator lost them). */
  get definedSeries(): number {
    return this.#seriesDefs.size;
  }

  /** How many collects ran (a collect's number is this count right after it). */
  get collects(): number {
    return this.#collects;
  }

  /** Every series entry kept (live series, and gone ones not pruned yet). */
  entries(): IterableIterator<SeriesEntry> {
    return this.#seriesDefs.values();
  }

  /**
   * Forgets the series gone from the store whose last possible collect is `settledThrough` or earlier: every batch
   * of those collects is settled, so none can ask for their definitions again.
   */
  prune(settledThrough: number): void {
    const gone = this.#gone;
    let h = this.#goneHead;
    while (h < gone.length && gone[h]!.goneAt <= settledThrough) {
      const def = gone[h++]!.def;
      this.#seriesDefs.delete(def.sid);
      this.#unref(def.fid);
    }
    // Compacted now and then, not on every prune.
    if (h === gone.length) gone.length = h = 0;
    else if (h > 1024 && h * 2 > gone.length) {
      gone.splice(0, h);
      h = 0;
    }
    this.#goneHead = h;
  }

  /**
   * Takes what changed since the previous collect (everything when `full`), split into batches by max samples and
   * max bytes. Values are copied, so later store writes do not change a formed batch.
   */
  collect(full: boolean): BatchContent[] {
    this.#noteRemovals();
    this.#collects++;
    const gen = this.#store.generation;
    const since = full ? -1 : this.#lastGen;
    const out: BatchContent[] = [];
    const scope = this.#scope;
    let cur = newContent(gen);
    for (const fam of this.#store.families()) {
      // One definition for the family's series that carry their own total and one for those that restart with the
      // agent (the aggregator counts a new epoch's values in full only for the latter).
      let fid: number | undefined;
      let fidRestarts: number | undefined;
      for (const s of fam.series.values()) {
        if (s.changedGen <= since) continue;
        const restarts = s.restartsWithAgent === true;
        const f = restarts ? (fidRestarts ??= this.#family(fam.name, fam.type, fam.help, true)) : (fid ??= this.#family(fam.name, fam.type, fam.help, false));
        const entry = this.#entry(s, f);
        const dist = s.dist ? this.#dist(s) : undefined;
        const est = 12 + (entry.sentScope === scope ? 0 : s.labelText.length + 8) + (dist ? 16 * ((dist.buckets?.length ?? 0) + (dist.quantiles?.length ?? 0) + 2) : 0);
        const n = cur.entries.length;
        if (n > 0 && (n >= this.maxSamples || cur.estBytes + est > this.maxBytes)) {
          out.push(cur);
          cur = newContent(gen);
        }
        cur.entries.push(entry);
        if (dist) {
          (cur.dists ??= new Array<DistValue | undefined>(cur.values.length).fill(undefined)).push(dist);
          cur.values.push(0);
        } else {
          cur.values.push(s.value);
          cur.dists?.push(undefined);
        }
        cur.estBytes += est;
      }
    }
    if (cur.entries.length > 0) out.push(cur);
    this.#lastGen = gen;
    return out;
  }

  /** Builds the payload of a batch; definitions not yet sent in this scope are included and then marked sent. */
  payload(content: BatchContent, agentId: string, sentMs: number, meta: BatchMeta): BatchPayload {
    const families: FamilyDef[] = [];
    const series: SeriesDef[] = [];
    const scalars: number[] = [];
    const dists: DistValue[] = [];
    const { entries, values, dists: cd } = content;
    const scope = this.#scope;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const def = e.def;
      if (e.sentScope !== scope) {
        if (!this.#knownFam.has(def.fid)) {
          families.push(this.#fams.get(def.fid)!.def);
          this.#knownFam.add(def.fid);
        }
        series.push(def);
        e.sentScope = scope;
      }
      const d = cd?.[i];
      if (d) dists.push(d);
      else scalars.push(def.sid, values[i]!);
    }
    return { agentId, sentMs, meta, families, series, scalars, dists };
  }

  /** Forgets what the aggregator is believed to know (new segment, or the aggregator lost its table). */
  resetScope(): void {
    this.#knownFam.clear();
    this.#scope++;
  }

  /** Definitions for the given series ids (those this epoch still remembers), with their families. */
  definitions(sids: readonly number[]): { families: FamilyDef[]; series: SeriesDef[]; missing: number[] } {
    const families = new Map<number, FamilyDef>();
    const series: SeriesDef[] = [];
    const missing: number[] = [];
    for (const sid of sids) {
      const d = this.#seriesDefs.get(sid)?.def;
      if (!d) {
        missing.push(sid);
        continue;
      }
      series.push(d);
      families.set(d.fid, this.#fams.get(d.fid)!.def);
    }
    return { families: [...families.values()], series, missing };
  }

  #family(name: string, type: MetricType, help: string, restarts: boolean): number {
    const key = restarts ? `${name}\u0000r` : name;
    let fid = this.#fids.get(key);
    if (fid === undefined) {
      // Never reused: a family forgotten and seen again is a new definition.
      fid = this.#nextFid++;
      this.#fids.set(key, fid);
      this.#fams.set(fid, { def: familyDef(fid, name, type, help, restarts), key, entries: 0 });
      return fid;
    }
    const fam = this.#fams.get(fid)!;
    if (fam.def.type !== type || fam.def.help !== help) {
      fam.def = familyDef(fid, name, type, help, restarts);
      this.#knownFam.delete(fid);
    }
    return fid;
  }

  /**
   * Queues the series that left the store since the last collect for `prune`; when the store's change feed no longer
   * reaches back that far, the entries are checked against the store's series instead.
   */
  #noteRemovals(): void {
    if (this.#seriesDefs.size === 0) return;
    const { removed } = this.#store.removedSince(this.#lastGen);
    if (removed) {
      for (const s of removed) this.#markGone(this.#seriesDefs.get(s.id));
    } else if (this.#seriesDefs.size > this.#store.seriesCount) {
      const live = new Set<number>();
      for (const fam of this.#store.families()) for (const s of fam.series.values()) live.add(s.id);
      for (const [sid, e] of this.#seriesDefs) if (!live.has(sid)) this.#markGone(e);
    }
  }

  #markGone(e: SeriesEntry | undefined): void {
    if (!e || e.goneAt >= 0) return;
    e.goneAt = this.#collects;
    this.#gone.push(e);
  }

  #entry(s: Series, fid: number): SeriesEntry {
    let entry = this.#seriesDefs.get(s.id);
    if (!entry) {
      const all = withEnvLabels(s.labels, this.#extraLabels);
      const names = Object.keys(all).sort();
      const labels: string[] = [];
      for (const n of names) labels.push(n, all[n]!);
      entry = { def: { sid: s.id, fid, labels }, ackSeq: 0, ackValue: 0, ackDist: undefined, goneAt: -1, sentScope: 0 };
      this.#seriesDefs.set(s.id, entry);
      this.#fams.get(fid)!.entries++;
    }
    return entry;
  }

  /** An entry of family `fid` was forgotten; the family goes with its last one. */
  #unref(fid: number): void {
    const fam = this.#fams.get(fid);
    if (!fam || --fam.entries > 0) return;
    this.#fams.delete(fid);
    this.#knownFam.delete(fid);
    if (this.#fids.get(fam.key) === fid) this.#fids.delete(fam.key);
  }

  /** Family definitions remembered (each used by a series entry, or about to be). */
  get definedFamilies(): number {
    return this.#fams.size;
  }

  /** A copy of the series' distribution as it goes on the wire. */
  #dist(s: Series): DistValue {
    const d = s.dist!;
    return {
      sid: s.id,
      count: d.count,
      sum: d.sum,
      buckets: d.buckets ? d.buckets.flatMap(([le, c]) => [le, c]) : null,
      quantiles: d.quantiles ? d.quantiles.flatMap(([q, v]) => [q, v]) : null,
      sketch: d.sketch !== undefined && this.#encodeSketch ? (this.#encodeSketch(d.sketch) ?? null) : null,
    };
  }
}

/** A family the batcher defined: its definition, its key in `#fids`, and how many series entries use it. */
interface FamilyEntry {
  def: FamilyDef;
  readonly key: string;
  entries: number;
}

function familyDef(fid: number, name: string, type: MetricType, help: string, restarts: boolean): FamilyDef {
  return restarts ? { fid, name, type, help, restartsWithAgent: true } : { fid, name, type, help };
}

function newContent(generation: number): BatchContent {
  return { entries: [], values: [], dists: undefined, generation, estBytes: 0 };
}
