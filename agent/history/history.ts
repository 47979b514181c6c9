/**
 * The local history: every live series of the store, sampled at a fixed step for a retention, in compressed
 * chunks in memory.
 *
 * Layout. A sampling round reads the store's read-only views and appends one sample to every series it sees,
 * expanded as a scrape of /metrics sees it (formats/expand.ts). Round times are kept once (rounds.ts); a series holds
 * chunks of up to `samplesPerChunk` consecutive rounds, each a Gorilla XOR value stream (xor-chunk.ts) and the
 * number of its first round. A series seen in the previous round and not in this one gets a staleness marker
 * (STALE_NAN) at this round, as Prometheus writes one when a series leaves a scrape.
 *
 * Only what changed. A store with a change feed (`changesSince`) is read whole only on the first round, after a
 * resync, when a changed series brings a label set it has not written before, and while a bound refuses series or
 * two store series expand to one label set; otherwise a round appends the series the store changed or removed since
 * the last round. A series left alone repeats its last value, which costs one `0` bit a round: those bits are
 * written when it is next touched — a new value, a staleness marker, a read, or the round its open chunk fills
 * (fill-wheel.ts keeps chunks sealed on the round they fill, as when every series is appended each round). What a
 * query reads is the same either way.
 *
 * Bounds. Sealed chunks sit on one queue in the order they were sealed (which is the order of their last round):
 * retention and the byte bound both drop from its head. New series past `maxSeries`, or while the held bytes are
 * over `maxBytes`, are refused and counted (once per store series).
 *
 * Files. This one holds the sampling rounds (what a round reads of the store); series-table.ts the series and their
 * chunks (appends, pending repeats, sealing, expiry), reads.ts the read side, snapshot.ts what persist.ts saves.
 */
import type { ChangeSet } from '../store/changes';
import type { Family, Series } from '../store/records';
import type { Labels } from '../store/types';
import { distParts, type DistPart } from './dist-parts';
import { OutriderError } from '../core/errors';
import { MAX_ROUNDS } from './options';
import { Rounds } from './rounds';
import { HistoryFollower } from './follower';
import * as reads from './reads';
import { REFUSED, SeriesTable, type HistoryDropReason, type Slot } from './series-table';
import { type HistorySnapshot, restoreInto, snapshotOf } from './snapshot';
import type { FamilyFollower, HistoryReader, LabelMatcher, SeriesSamples } from './types';

export type { HistoryDropReason } from './series-table';
export type { HistorySnapshot, SnapshotSeries } from './snapshot';

export interface LocalHistoryOptions {
  stepMs: number;
  retentionMs: number;
  maxSeries: number;
  maxBytes: number;
  /** Samples per chunk (default: 120, as Prometheus, or a quarter of the retention's rounds when fewer). */
  samplesPerChunk?: number;
}

/** What a sampling round reads: the store's families through their read-only views. */
export interface StoreView {
  families(): Iterable<Family>;
  /** The store's change feed (store/changes.ts): with it, a round reads only what changed since the last one. */
  changesSince?(since: number): ChangeSet;
}

const MAX_LISTENERS = 1024;

export class LocalHistory implements HistoryReader {
  readonly stepMs: number;
  readonly retentionMs: number;
  readonly maxSeries: number;
  readonly maxBytes: number;
  readonly samplesPerChunk: number;
  readonly #rounds: Rounds;
  /** The series and their chunks (series-table.ts). */
  readonly #t: SeriesTable;
  /** Plain series → its history series; distributions → one per expanded sample. */
  #cache = new WeakMap<Series, Slot | Map<string, Slot>>();
  /** Scratch for a distribution's parts and their values (`distParts`), reused by every series each round. */
  readonly #parts: DistPart[] = [];
  readonly #values: number[] = [];
  readonly #listeners = new Set<(tMs: number) => void>();
  /** The store whose change feed the last round read, and the generation to read from next. */
  #feed: StoreView | undefined;
  #feedGen = -1;
  readonly dropped: Record<HistoryDropReason, number>;
  /** Rounds refused because their time was not after the newest round (a clock stepping back). */
  skippedRounds = 0;
  /** Rounds that read every series of the store (the rest read only what it changed). */
  wholeRounds = 0;

  constructor(opts: LocalHistoryOptions) {
    if (!(opts.stepMs > 0) || !(opts.retentionMs >= opts.stepMs)) throw new OutriderError('OUTRIDER_ERR_HISTORY_OPTIONS', 'the history needs step > 0 and retention ≥ step');
    this.stepMs = opts.stepMs;
    this.retentionMs = opts.retentionMs;
    this.maxSeries = opts.maxSeries;
    this.maxBytes = opts.maxBytes;
    const retentionRounds = Math.ceil(opts.retentionMs / opts.stepMs);
    if (retentionRounds > MAX_ROUNDS) throw new OutriderError('OUTRIDER_ERR_HISTORY_OPTIONS', `the history's retention spans at most ${MAX_ROUNDS} steps`);
    this.samplesPerChunk = Math.max(1, opts.samplesPerChunk ?? Math.min(120, Math.floor(retentionRounds / 4)));
    this.#rounds = new Rounds(retentionRounds + 2 * this.samplesPerChunk + 1);
    this.#t = new SeriesTable(this.#rounds, this.samplesPerChunk, this.maxSeries, this.maxBytes);
    this.dropped = this.#t.dropped;
  }

  get seriesCount(): number {
    return this.#t.size;
  }

  /** Bytes held: chunk bytes (sealed, and reserved by open chunks), the round times, and a per-series estimate. */
  get bytes(): number {
    return this.#t.bytes;
  }

  /** Where the bytes are: sealed chunks, open chunks (reserved), round times, per-series estimate. */
  byteParts(): { sealed: number; open: number; rounds: number; series: number } {
    return this.#t.byteParts();
  }

  /** Samples appended (staleness markers included). */
  get samples(): number {
    return this.#t.samples;
  }

  /** Sealed chunks dropped before their retention ran out, to keep under maxBytes. */
  get evictedChunks(): number {
    return this.#t.evictedChunks;
  }

  /**
   * Samples every series of `store` at `tMs` (reading only what changed when the store has a change feed); false
   * (nothing done) when `tMs` is not after the last round.
   */
  sample(store: StoreView, tMs: number): boolean {
    const r = this.#rounds.push(tMs);
    if (r < 0) {
      this.skippedRounds++;
      return false;
    }
    const t = this.#t;
    t.appended = 0;
    let changes: ChangeSet | undefined;
    if (store.changesSince) {
      changes = store.changesSince(this.#feed === store ? this.#feedGen : -1);
      this.#feed = store;
      this.#feedGen = changes.generation;
    }
    if (!changes || changes.resync || t.wholeNext || !this.#known(changes)) this.#sampleAll(store, r);
    else this.#sampleChanged(changes, r);
    t.samples += t.live.size - t.appended;
    // Under half of max_bytes the repeats not yet written cannot take the history over it (they add at most what it
    // holds); above, they are written before the byte bound is checked, so it evicts what it would have.
    if (t.bytes > this.maxBytes / 2) t.catchUpAll(r);
    t.expire(tMs - this.retentionMs);
    for (const l of [...this.#listeners]) l(tMs);
    return true;
  }

  #sampleAll(store: StoreView, r: number): void {
    const t = this.#t;
    t.wholeNext = false;
    this.wholeRounds++;
    t.catchUpAll(r - 1); // the byte bound sees what it would have, for the series this round admits
    for (const fam of store.families()) for (const s of fam.series.values()) this.#sampleSeries(fam, s, r);
    // Left the store (or this round's view of it) since the last round: one staleness marker, then the chunk is done.
    for (const h of t.live) t.leave(h, r);
  }

  /**
   * Whether every changed series writes only history series it wrote alone last time (a new series, or a new
   * sample of a distribution, could share a label set with another store series: the whole store is read then, in
   * its order, so the same one wins).
   */
  #known(changes: ChangeSet): boolean {
    const series = changes.series;
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const slot = this.#cache.get(s);
      if (!s.dist) {
        if (slot === undefined || slot instanceof Map || !this.#owns(slot, s)) return false;
        continue;
      }
      if (!(slot instanceof Map)) return false;
      const n = distParts(s.family.type, s.dist, this.#parts, this.#values);
      for (let i = 0; i < n; i++) if (!this.#owns(slot.get(this.#parts[i]!.key), s)) return false;
    }
    return true;
  }

  #owns(slot: Slot | undefined, s: Series): boolean {
    return slot !== undefined && slot !== REFUSED && slot.fill >= 0 && slot.src === s && this.#t.holds(slot);
  }

  /** Appends the series changed since the last round, marks those removed, and seals the chunks that fill now. */
  #sampleChanged(changes: ChangeSet, r: number): void {
    const t = this.#t;
    // Indexed, and the slots walked by forEach: a for-of makes an iterator result per element in code the optimizing
    // compiler has not taken (the history samples once a round).
    const series = changes.series;
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const slots = this.#sampleSeries(s.family, s, r);
      // A distribution's expanded samples it no longer has (its buckets changed) left it.
      if (slots)
        slots.forEach((h) => {
          if (h !== REFUSED && h.src === s) t.leave(h, r);
        });
    }
    // After the changes: a series removed and written again since keeps its history series without a marker.
    for (const s of changes.removed) {
      const slot = this.#cache.get(s);
      if (slot instanceof Map) {
        for (const h of slot.values()) if (h !== REFUSED && h.src === s) t.leave(h, r);
      } else if (slot !== undefined && slot !== REFUSED && slot.src === s) t.leave(slot, r);
    }
    for (const h of t.wheel.at(r)) if (h.lastRound < r) t.catchUp(h, r);
    // Those sealed last round open their next chunk now, as when appended each round (its bytes are counted).
    for (const h of t.wheel.at(r - 1)) if (h.lastRound < r) t.catchUp(h, r);
  }

  /** Appends one store series at round `r`; returns a distribution's slots. */
  #sampleSeries(fam: Family, s: Series, r: number): Map<string, Slot> | undefined {
    const t = this.#t;
    if (s.dist) {
      let slots = this.#cache.get(s);
      if (!(slots instanceof Map)) {
        if (slots !== undefined && slots !== REFUSED && slots.src === s) t.leave(slots, r);
        this.#cache.set(s, (slots = new Map()));
      }
      const parts = this.#parts;
      const values = this.#values;
      const n = distParts(fam.type, s.dist, parts, values);
      for (let i = 0; i < n; i++) {
        const p = parts[i]!;
        const before = slots.get(p.key);
        // The name is joined only when the slot is not the table's any more (a new series, or one dropped).
        const h = before !== undefined && before !== REFUSED && t.holds(before) ? before : t.resolve(before, fam.name + p.suffix, s.labels, s.key, p.label, p.labelValue);
        if (h !== before) slots.set(p.key, h);
        if (h !== REFUSED) t.append(h, r, values[i]!, s);
      }
      return slots;
    }
    const slot = this.#cache.get(s);
    if (slot instanceof Map) for (const h of slot.values()) if (h !== REFUSED && h.src === s) t.leave(h, r);
    const before = slot instanceof Map ? undefined : slot;
    const h = t.resolve(before, fam.name, s.labels, s.key, undefined, '');
    if (h !== before) this.#cache.set(s, h);
    if (h !== REFUSED) t.append(h, r, s.value, s);
    return undefined;
  }

  // --- HistoryReader (reads.ts) ---

  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[] {
    return reads.select(this.#t, matchers, startMs, endMs);
  }

  /** The label sets of the series `select` would return, without decoding their samples. */
  seriesLabels(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Labels[] {
    return reads.seriesLabels(this.#t, matchers, startMs, endMs);
  }

  labelNames(startMs: number, endMs: number, matchers?: readonly LabelMatcher[]): string[] {
    return reads.labelNames(this.#t, startMs, endMs, matchers);
  }

  labelValues(name: string, startMs: number, endMs: number, matchers?: readonly LabelMatcher[]): string[] {
    return reads.labelValues(this.#t, name, startMs, endMs, matchers);
  }

  oldestMs(): number | undefined {
    return reads.oldestMs(this.#t);
  }

  newestMs(): number | undefined {
    return this.#rounds.last >= 0 ? this.#rounds.timeOf(this.#rounds.last) : undefined;
  }

  follow(family: string): FamilyFollower {
    const t = this.#t;
    return new HistoryFollower({ named: (f) => reads.named(t, f), window: (s, e) => reads.roundWindow(t, s, e), timeOf: (r) => this.#rounds.timeOf(r) }, family);
  }

  subscribe(listener: (tMs: number) => void): () => void {
    if (this.#listeners.size >= MAX_LISTENERS) throw new OutriderError('OUTRIDER_ERR_HISTORY_SUBSCRIBERS', `the history takes at most ${MAX_LISTENERS} subscribers`);
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  // --- persistence (snapshot.ts; persist.ts owns the file) ---

  /** Every held round's time and every series' chunks (open ones copied), rounds numbered from the oldest held. */
  snapshot(): HistorySnapshot {
    return snapshotOf(this.#t);
  }

  /**
   * Loads a snapshot into an empty history (false, nothing done, when it already holds rounds): its rounds become
   * the first rounds, its chunks sealed chunks, and its series are not live (the next round writes no marker for
   * them). Rounds older than the retention and series past the bounds are left out; returns the series loaded.
   */
  restore(snap: HistorySnapshot, nowMs: number): number | false {
    return restoreInto(this.#t, snap, nowMs, this.retentionMs);
  }
}
