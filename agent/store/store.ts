/**
 * The series store: the one table every collector writes into and the endpoint, analysers and reporters read.
 *
 * A family (name, help, type) holds series keyed by their label set. Every change bumps `generation` and is on the
 * change feed (`changesSince`, `reader`, `subscribe`; see changes.ts), so readers derive what they need from what
 * changed, not from a re-read of everything. Readers get read-only views (`Series`, `Family`); only the store's
 * methods write, keep alive or remove a series. Series written through an owner's snapshot (`replaceOwned`) vanish
 * as soon as the owner's next snapshot omits them; every series also expires after `staleAfterMs` without a write
 * or a keep-alive. The total number of series is bounded; writes past the bound are dropped and counted.
 *
 * Budgets (sources.ts): every series counts against the source that created it, and a source past its budget
 * (`budgets`) is refused new series while the others still get theirs; the agent's own telemetry (source `self`) is
 * outside `maxSeries`, the budgets and shedding. While `shedding` is set (the memory limiter), new series of every
 * other source are refused; writes to existing series go on.
 *
 * Files: the change feed is feed.ts (changes.ts its lists and change sets), the owners' series owners.ts, the
 * records records.ts, their time epoch and origins origins.ts, the label key label-key.ts.
 */
import { renderLabels } from '../formats/labels';
import { ChangeReader, ChangeSet, type ChangeList } from './changes';
import { ChangeFeed } from './feed';
import { OwnerSets } from './owners';
import { type Family, type FamilyRecord, type HeldSample, type Series, SeriesRecord } from './records';
import { Origins, REBASE_AFTER_MS } from './origins';
import { labelKey, sameLabels } from './label-key';
import { OTHER_SOURCE, SourceCounts } from './sources';
import { Distribution, DropReason, FamilyDesc, FamilySamples, isValidLabelName, isValidMetricName, Labels, MetricType, Sample } from './types';

export type { ChangeSet, Family, HeldSample, Series };
export { ChangeReader };
export { escapeLabelValue, renderLabels } from '../formats/labels';
export { labelKey } from './label-key';
export { MAX_SELF_SERIES, OTHER_SOURCE, SELF_SOURCE } from './sources';
export { MAX_SUBSCRIBERS } from './feed';

export interface StoreOptions {
  staleAfterMs?: number;
  maxSeries?: number;
  /** Removals the change feed remembers; a reader further behind resyncs (default 16384). */
  removalLogSize?: number;
  /** Series budget per source (a source not listed, or 0, has none but the global bound). */
  budgets?: Readonly<Record<string, number>>;
  now?: () => number;
}

export type { DropReason };

export class Store {
  readonly #families = new Map<string, FamilyRecord>();
  readonly #owned = new OwnerSets();
  readonly #now: () => number;
  readonly #feed: ChangeFeed;
  /** The feed's lists, held here too: a write touches them without going through the feed. */
  readonly #seriesList: ChangeList<SeriesRecord>;
  readonly #familyList: ChangeList<FamilyRecord>;
  readonly #sources: SourceCounts;
  /** Marks the families (and through them the series) this store made. */
  readonly #token = {};
  /**
   * A lower bound of every live series' `updatedMs` (the oldest write the last sweep's walk kept, lowered by any
   * older write since): while the stale cutoff is below it nothing can be stale and the sweep does not walk the
   * series. With every series written each round, the walk happens about once per `staleAfterMs` instead of every
   * second.
   */
  #oldestWriteMs = Infinity;
  #nextId = 1;
  /** The epoch records count their update time from, and their origins (origins.ts); `sweep` moves it. */
  readonly #origins: Origins;
  /** Number of the last owner snapshot (`replaceOwnedHeld`), stamped on the series it writes. */
  #snapshot = 0;
  staleAfterMs: number;
  maxSeries: number;
  /** Series budget per source. */
  budgets: ReadonlyMap<string, number>;
  /** The source of a series created outside a `withSource` scope, from its owner (set by the composition root). */
  sourceOf: (owner: string | undefined) => string = (owner) => owner ?? OTHER_SOURCE;
  /** While true, new series are refused except the agent's own (the memory limiter sets it). */
  shedding = false;
  /** Writes dropped, by reason. */
  readonly dropped: Record<DropReason, number> = { max_series: 0, source_budget: 0, memory_limit: 0, invalid_name: 0, invalid_label: 0, type_conflict: 0 };
  /** Called once per dropped write, so the owner can count and log it (rate limiting is the caller's). */
  onDrop: ((reason: DropReason, family: string, detail: string, source: string) => void) | undefined;

  constructor(opts: StoreOptions = {}) {
    this.staleAfterMs = opts.staleAfterMs ?? 60_000;
    this.maxSeries = opts.maxSeries ?? 500_000;
    this.budgets = new Map(Object.entries(opts.budgets ?? {}));
    this.#feed = new ChangeFeed(opts.removalLogSize ?? 16_384);
    this.#seriesList = this.#feed.series;
    this.#familyList = this.#feed.families;
    this.#sources = new SourceCounts(this, (reason, family, detail, source) => this.#drop(reason, family, detail, source));
    this.#now = opts.now ?? Date.now;
    this.#origins = new Origins(this.#now());
  }

  get generation(): number {
    return this.#feed.generation;
  }

  get seriesCount(): number {
    return this.#seriesList.size;
  }

  /** Series held per source (the agent's own under `self`). */
  seriesBySource(): ReadonlyMap<string, number> {
    return this.#sources.bySource();
  }

  /**
   * Runs `fn` with every series it creates counted against `source` (synchronous writes only; scopes nest). A
   * writer's scope wins over what its owner would say.
   */
  withSource<T>(source: string, fn: () => T): T {
    return this.#sources.withSource(source, fn);
  }

  families(): IterableIterator<Family> {
    return this.#families.values();
  }

  getFamily(name: string): Family | undefined {
    return this.#families.get(name);
  }

  /**
   * What changed since generation `since` (everything, as a resync, for a negative `since`); with `keep`, only the
   * series (changed and removed) it accepts.
   */
  changesSince(since: number, keep?: (s: Series) => boolean): ChangeSet {
    return this.#feed.changesSince(since, keep);
  }

  /**
   * The removals of `changesSince(since)` alone, without the arrays of changed series and families (a reader that
   * only wants what went, e.g. remote write's staleness markers, need not copy every changed series per read);
   * `removed` is undefined where that change set would be a resync.
   */
  removedSince(since: number): { readonly generation: number; readonly removed: readonly Series[] | undefined } {
    return this.#feed.removedSince(since);
  }

  /** A cursor on the change feed for one reader (its first change set is a resync); `keep` as for `changesSince`. */
  reader(keep?: (s: Series) => boolean): ChangeReader {
    return new ChangeReader((since) => this.changesSince(since, keep));
  }

  /**
   * Calls `listener` with the generation after the store changed, once per burst of writes (on a microtask, never
   * inside a write). Returns the unsubscribe function.
   */
  subscribe(listener: (generation: number) => void): () => void {
    return this.#feed.subscribe(listener);
  }

  /** Registers (or returns) a family; a second registration with another type is refused. */
  family(desc: FamilyDesc): Family | undefined {
    return this.#family(desc);
  }

  /** Looks up or creates a series; undefined when refused (bound reached, bad label, a family no longer stored). */
  series(fam: Family, labels: Labels, owner?: string): Series | undefined {
    const rec = this.#families.get(fam.name);
    return rec === fam ? this.#series(rec, labels, owner, rec.restartsWithAgent === true) : undefined;
  }

  /** Sets a counter, gauge or untyped value. */
  set(desc: FamilyDesc, labels: Labels, value: number, nowMs = this.#now()): Series | undefined {
    const s = this.#lookup(desc, labels);
    if (s) this.#write(s, value, undefined, undefined, nowMs);
    return s;
  }

  /** Writes a sample (value or distribution, with its own timestamp when it has one). */
  setSample(desc: FamilyDesc, sample: Sample, nowMs = this.#now()): Series | undefined {
    const s = this.#lookup(desc, sample.labels);
    if (s) this.#writeSample(s, sample, nowMs);
    return s;
  }

  /**
   * Writes a value through a series handle a caller kept from an earlier write (skips the family and label-key
   * lookups). Returns false when the series is no longer in the store (removed or expired): write by labels then.
   * `timestampMs`: the sample's own timestamp, as `setSample` keeps it (none by default).
   */
  writeHandle(s: Series, value: number, dist?: Distribution, nowMs = this.#now(), timestampMs?: number): boolean {
    const rec = this.#live(s);
    if (!rec) return false;
    this.#write(rec, dist ? dist.count : value, dist, timestampMs, nowMs);
    return true;
  }

  /**
   * Marks a series as current without a new value (its writer holds it and it did not change): the staleness sweep
   * leaves it, and no generation is spent. Returns false when the series is no longer in the store.
   */
  keepAlive(s: Series, nowMs = this.#now()): boolean {
    const rec = this.#live(s);
    if (rec) {
      rec.updatedAt = this.#origins.since(nowMs);
      if (nowMs < this.#oldestWriteMs) this.#oldestWriteMs = nowMs;
    }
    return rec !== undefined;
  }

  /** Adds to a counter (or gauge). */
  add(desc: FamilyDesc, labels: Labels, delta: number, nowMs = this.#now()): Series | undefined {
    const s = this.#lookup(desc, labels);
    if (s) this.#write(s, s.value + delta, undefined, undefined, nowMs);
    return s;
  }

  /** Sets a summary or histogram. */
  setDist(desc: FamilyDesc, labels: Labels, dist: Distribution, nowMs = this.#now()): Series | undefined {
    const s = this.#lookup(desc, labels);
    if (s) this.#write(s, dist.count, dist, undefined, nowMs);
    return s;
  }

  /**
   * Writes a full snapshot for `owner`: every sample is set, and every series the owner wrote before and did not
   * write now is removed (a vanished disk or interface disappears at the next collection, as in node_exporter).
   */
  replaceOwned(owner: string, families: readonly FamilySamples[], nowMs = this.#now()): void {
    this.replaceOwnedHeld(owner, families, [], nowMs);
  }

  /**
   * `replaceOwned` with part of the snapshot written through held handles (a scraper keeps one per series it saw
   * before): a live handle skips the family and label-key lookups; a dead or missing one is looked up or created by
   * its family and labels and `series` is set to what was found (and `labels` to the store's copy).
   */
  replaceOwnedHeld(owner: string, families: readonly FamilySamples[], held: readonly HeldSample[], nowMs = this.#now()): void {
    const snap = ++this.#snapshot;
    // Series this snapshot stamped: each is in the owner's set, so when they are as many as the set holds, none
    // is left to remove and the set is not walked (a collector's usual round writes every series it wrote before).
    let stamped = 0;
    // A collector writes its series in the same order each round: the series at the same position last time, when
    // it is of the same family and has the same labels, is this sample's, found without a label key or a lookup.
    const order = families.length > 0 ? this.#owned.order(owner) : undefined;
    let at = 0;
    // Indexed loops: a collector's write runs once a round, often before the optimizing compiler has taken it, and
    // an array's for-of there makes an iterator and a result object per element.
    for (let fi = 0; fi < families.length; fi++) {
      const fs = families[fi]!;
      // The family too: a live series' family is stored (a family goes with its last series).
      const guess = order![at];
      const fam = guess !== undefined && !guess.removed && guess.family.name === fs.name ? this.#checked(guess.family, fs) : this.#family(fs);
      if (!fam) {
        at += fs.samples.length;
        continue;
      }
      const restarts = fs.restartsWithAgent === true;
      const samples = fs.samples;
      for (let si = 0; si < samples.length; si++) {
        const sample = samples[si]!;
        let s = order![at];
        if (s !== undefined && s.family === fam && !s.removed && sameLabels(s.labels, sample.labels)) {
          if (restarts && !s.origin.restarts) s.origin = this.#origins.get(s.origin.source, true);
        } else s = this.#series(fam, sample.labels, owner, restarts);
        order![at++] = s;
        if (!s) continue;
        if (s.owner !== owner) this.#owned.own(s, owner); // the usual case (same owner) costs no call
        this.#writeSample(s, sample, nowMs);
        if (s.snapshot !== snap) {
          s.snapshot = snap;
          stamped++;
        }
      }
    }
    for (let hi = 0; hi < held.length; hi++) {
      const h = held[hi]!;
      let s = h.series as SeriesRecord | undefined;
      if (!s || s.removed) {
        const fam = this.#family(h.family);
        s = fam && this.#series(fam, h.labels, owner, h.family.restartsWithAgent === true);
        h.series = s;
        if (!s) continue;
        h.labels = s.labels; // the store's copy: the writer need not keep its own
      }
      if (s.owner !== owner) this.#owned.own(s, owner); // the usual case (same owner) costs no call
      this.#write(s, h.value, undefined, h.timestampMs, nowMs);
      if (s.snapshot !== snap) {
        s.snapshot = snap;
        stamped++;
      }
    }
    if (order && order.length > at) order.length = at;
    const owned = this.#owned.get(owner);
    if (owned && owned.size > stamped) for (const s of owned) if (s.snapshot !== snap) this.#remove(s);
  }

  /** Removes every series written by `owner` (a collector that was disabled). */
  dropOwner(owner: string): void {
    const set = this.#owned.get(owner);
    if (!set) return;
    for (const s of [...set]) this.#remove(s);
    this.#owned.delete(owner);
  }

  remove(s: Series): void {
    const rec = this.#live(s);
    if (rec) this.#remove(rec);
  }

  /** Removes series not written or kept alive within `staleAfterMs`; returns how many went. */
  sweep(nowMs = this.#now()): number {
    if (nowMs - this.#origins.epochMs > REBASE_AFTER_MS) this.#origins.rebase(nowMs, this.#allSeries());
    const cutoff = nowMs - this.staleAfterMs;
    if (this.#oldestWriteMs >= cutoff) return 0;
    const cutoffAt = cutoff - this.#origins.epochMs;
    // Collected first (no copy of the tables when nothing is stale): removing can delete a family.
    const stale: SeriesRecord[] = [];
    let oldest = Infinity;
    for (const fam of this.#families.values())
      for (const s of fam.series.values()) {
        if (s.updatedAt < cutoffAt) stale.push(s);
        else if (s.updatedAt < oldest) oldest = s.updatedAt;
      }
    this.#oldestWriteMs = this.#origins.epochMs + oldest;
    for (const s of stale) this.#remove(s);
    return stale.length;
  }

  /** Every live record. */
  *#allSeries(): IterableIterator<SeriesRecord> {
    for (const fam of this.#families.values()) yield* fam.series.values();
  }

  /** Marks the store changed without a write (e.g. metadata update). */
  touch(): void {
    this.#feed.bump();
  }

  /** The record of a handle still in this store: one this store made (its family's token) and not removed since. */
  #live(s: Series): SeriesRecord | undefined {
    return s instanceof SeriesRecord && !s.removed && s.family.store === this.#token ? s : undefined;
  }

  #lookup(desc: FamilyDesc, labels: Labels): SeriesRecord | undefined {
    const fam = this.#family(desc);
    return fam && this.#series(fam, labels, undefined, desc.restartsWithAgent === true);
  }

  #family(desc: FamilyDesc): FamilyRecord | undefined {
    const existing = this.#families.get(desc.name);
    if (existing) return this.#checked(existing, desc);
    if (!isValidMetricName(desc.name)) {
      this.#drop('invalid_name', desc.name, 'not a valid Prometheus metric name');
      return undefined;
    }
    const fam: FamilyRecord = { name: desc.name, help: desc.help, type: desc.type, series: new Map(), store: this.#token, changedGen: this.#feed.generation, prev: undefined, next: undefined };
    if (desc.restartsWithAgent) fam.restartsWithAgent = true;
    this.#families.set(desc.name, fam);
    return fam;
  }

  /** A stored family written as `desc`: undefined (counted) for another type; takes a new HELP or restart flag. */
  #checked(existing: FamilyRecord, desc: FamilyDesc): FamilyRecord | undefined {
    if (existing.type !== desc.type) {
      this.#drop('type_conflict', desc.name, `registered as ${existing.type}, written as ${desc.type}`);
      return undefined;
    }
    if (desc.restartsWithAgent && !existing.restartsWithAgent) existing.restartsWithAgent = true;
    if (desc.help && existing.help !== desc.help) {
      existing.help = desc.help;
      this.#familyList.touch(existing, this.#feed.bump());
    }
    return existing;
  }

  /**
   * The series of `fam` with `labels`, created when new. `restarts`: the write's values start from zero with this
   * agent process (FamilyDesc.restartsWithAgent); kept per series, because one family can mix such series (an OTLP
   * delta counter the agent accumulates) with ones that carry their own total (the same name sent cumulative).
   */
  #series(fam: FamilyRecord, labels: Labels, owner?: string, restarts = false): SeriesRecord | undefined {
    const key = labelKey(labels);
    let s = fam.series.get(key);
    if (s) {
      // The write that follows marks the series changed, so the flag goes out with its value.
      if (restarts && !s.origin.restarts) s.origin = this.#origins.get(s.origin.source, true);
      return s;
    }
    for (const name of Object.keys(labels)) {
      if (!isValidLabelName(name) && !(fam.type === 'histogram' && name === 'le') && !(fam.type === 'summary' && name === 'quantile')) {
        this.#drop('invalid_label', fam.name, `label name ${JSON.stringify(name)}`);
        return undefined;
      }
    }
    const source = this.#sources.scope ?? this.sourceOf(owner);
    if (!this.#sources.admit(source, fam.name, this.#seriesList.size)) return undefined;
    const createdMs = this.#now();
    s = new SeriesRecord(fam, { ...labels }, key, renderLabels(labels), this.#nextId++, this.#origins.since(createdMs), owner, this.#origins.get(source, restarts));
    if (createdMs < this.#oldestWriteMs) this.#oldestWriteMs = createdMs;
    fam.series.set(key, s);
    const gen = this.#feed.bump();
    this.#seriesList.touch(s, gen);
    this.#familyList.touch(fam, gen);
    if (owner !== undefined) this.#owned.add(owner, s);
    return s;
  }

  #remove(s: SeriesRecord): void {
    const fam = s.family;
    s.markRemoved();
    this.#sources.release(s.origin.source);
    fam.series.delete(s.key);
    this.#seriesList.unlink(s);
    this.#owned.forget(s);
    const gen = this.#feed.bump();
    s.changedGen = gen;
    this.#feed.removed(s, gen);
    if (fam.series.size === 0) {
      this.#families.delete(fam.name);
      this.#familyList.unlink(fam);
      fam.changedGen = gen;
    } else {
      this.#familyList.touch(fam, gen);
    }
  }

  #writeSample(s: SeriesRecord, sample: Sample, nowMs: number): void {
    if (sample.dist) this.#write(s, sample.dist.count, sample.dist, sample.timestampMs, nowMs);
    else this.#write(s, sample.value ?? NaN, undefined, sample.timestampMs, nowMs);
  }

  #write(s: SeriesRecord, value: number, dist: Distribution | undefined, ts: number | undefined, nowMs: number): void {
    const changed = !Object.is(s.value, value) || dist !== undefined || s.dist !== undefined || s.timestampMs !== ts;
    s.value = value;
    s.dist = dist;
    s.timestampMs = ts;
    s.updatedAt = this.#origins.since(nowMs);
    if (nowMs < this.#oldestWriteMs) this.#oldestWriteMs = nowMs;
    if (changed) {
      const gen = this.#feed.bump();
      this.#seriesList.touch(s, gen);
      this.#familyList.touch(s.family, gen);
    }
  }

  #drop(reason: DropReason, family: string, detail: string, source = this.#sources.scope ?? OTHER_SOURCE): undefined {
    this.dropped[reason]++;
    this.onDrop?.(reason, family, detail, source);
    return undefined;
  }
}

export type { MetricType };
