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
 */
import type { ChangeSet } from '../store/changes';
import type { Family, Series } from '../store/records';
import { labelKey } from '../store/store';
import type { Labels } from '../store/types';
import { expandDistribution } from '../formats/expand';
import { OutriderError } from '../core/errors';
import { CompiledMatcher, compileSelector, matchesAll } from './matchers';
import { MAX_ROUNDS } from './options';
import { Rounds } from './rounds';
import { FillWheel } from './fill-wheel';
import { HistoryFollower } from './follower';
import { FamilyFollower, HistoryReader, LabelMatcher, SeriesSamples, STALE_NAN_BITS } from './types';
import { decodeXor, XorEncoder } from './xor-chunk';

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

export type HistoryDropReason = 'max_series' | 'max_bytes';

/** A history's contents as persist.ts writes them: round times, and per series its chunks by round index. */
export interface SnapshotSeries {
  readonly labels: Labels;
  readonly chunks: readonly { readonly firstRound: number; readonly count: number; readonly bytes: Uint8Array }[];
}
export interface HistorySnapshot {
  readonly roundTimesMs: Float64Array;
  readonly series: readonly SnapshotSeries[];
}

interface Chunk {
  readonly firstRound: number;
  readonly count: number;
  readonly bytes: Uint8Array;
}

interface Head {
  readonly firstRound: number;
  readonly enc: XorEncoder;
}

interface HSeries {
  readonly labels: Labels;
  readonly key: string;
  readonly name: string;
  readonly sealed: Chunk[];
  head: Head | undefined;
  /** The last round written; a live series repeats its last value (hi, lo) up to the newest round. */
  lastRound: number;
  live: boolean;
  hi: number;
  lo: number;
  /** The store series that last wrote it. */
  src: Series | undefined;
  /** Its slot on the fill wheel while live. */
  fill: number;
}

/** Estimated fixed cost of one series (objects, map entries) besides its label strings. */
const SERIES_OVERHEAD_BYTES = 240;
const HEAD_INITIAL_BYTES = 16;
/** A store series refused for a bound (counted once while it stays refused). */
const REFUSED = Symbol('refused');
type Slot = HSeries | typeof REFUSED;
const MAX_LISTENERS = 1024;
// The staleness marker by its words, appended without passing through a number (which may quiet the NaN).
const STALE_HI = Number(STALE_NAN_BITS >> 32n);
const STALE_LO = Number(STALE_NAN_BITS & 0xffffffffn);

export class LocalHistory implements HistoryReader {
  readonly stepMs: number;
  readonly retentionMs: number;
  readonly maxSeries: number;
  readonly maxBytes: number;
  readonly samplesPerChunk: number;
  readonly #rounds: Rounds;
  readonly #series = new Map<string, HSeries>();
  readonly #byName = new Map<string, Set<HSeries>>();
  readonly #live = new Set<HSeries>();
  readonly #queue: { series: HSeries; chunk: Chunk }[] = [];
  #queueHead = 0;
  /** Plain series → its history series; distributions → one per expanded sample. */
  #cache = new WeakMap<Series, Slot | Map<string, Slot>>();
  readonly #listeners = new Set<(tMs: number) => void>();
  readonly #wheel: FillWheel<HSeries>;
  /** The store whose change feed the last round read, and the generation to read from next. */
  #feed: StoreView | undefined;
  #feedGen = -1;
  /** The next round reads the whole store: a bound refused a series, or two store series wrote one label set. */
  #wholeNext = true;
  /** Values (not markers) appended this round; a live series not appended repeats its value, counted as a sample. */
  #appended = 0;
  #sealedBytes = 0;
  #headBytes = 0;
  #overheadBytes = 0;
  readonly dropped: Record<HistoryDropReason, number> = { max_series: 0, max_bytes: 0 };
  /** Samples appended (staleness markers included). */
  samples = 0;
  /** Rounds refused because their time was not after the newest round (a clock stepping back). */
  skippedRounds = 0;
  /** Rounds that read every series of the store (the rest read only what it changed). */
  wholeRounds = 0;
  /** Sealed chunks dropped before their retention ran out, to keep under maxBytes. */
  evictedChunks = 0;

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
    this.#wheel = new FillWheel(this.samplesPerChunk);
  }

  get seriesCount(): number {
    return this.#series.size;
  }

  /** Bytes held: chunk bytes (sealed, and reserved by open chunks), the round times, and a per-series estimate. */
  get bytes(): number {
    return this.#sealedBytes + this.#headBytes + this.#overheadBytes + this.#rounds.bytes;
  }

  /** Where the bytes are: sealed chunks, open chunks (reserved), round times, per-series estimate. */
  byteParts(): { sealed: number; open: number; rounds: number; series: number } {
    return { sealed: this.#sealedBytes, open: this.#headBytes, rounds: this.#rounds.bytes, series: this.#overheadBytes };
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
    this.#appended = 0;
    let changes: ChangeSet | undefined;
    if (store.changesSince) {
      changes = store.changesSince(this.#feed === store ? this.#feedGen : -1);
      this.#feed = store;
      this.#feedGen = changes.generation;
    }
    if (!changes || changes.resync || this.#wholeNext || !this.#known(changes)) this.#sampleAll(store, r);
    else this.#sampleChanged(changes, r);
    this.samples += this.#live.size - this.#appended;
    // Under half of max_bytes the repeats not yet written cannot take the history over it (they add at most what it
    // holds); above, they are written before the byte bound is checked, so it evicts what it would have.
    if (this.bytes > this.maxBytes / 2) this.#catchUpAll(r);
    this.#expire(tMs);
    for (const l of [...this.#listeners]) l(tMs);
    return true;
  }

  #sampleAll(store: StoreView, r: number): void {
    this.#wholeNext = false;
    this.wholeRounds++;
    this.#catchUpAll(r - 1); // the byte bound sees what it would have, for the series this round admits
    for (const fam of store.families()) for (const s of fam.series.values()) this.#sampleSeries(fam, s, r);
    // Left the store (or this round's view of it) since the last round: one staleness marker, then the chunk is done.
    for (const h of this.#live) this.#leave(h, r);
  }

  /**
   * Whether every changed series writes only history series it wrote alone last time (a new series, or a new
   * sample of a distribution, could share a label set with another store series: the whole store is read then, in
   * its order, so the same one wins).
   */
  #known(changes: ChangeSet): boolean {
    for (const s of changes.series) {
      const slot = this.#cache.get(s);
      if (!s.dist) {
        if (slot === undefined || slot instanceof Map || !this.#owns(slot, s)) return false;
        continue;
      }
      if (!(slot instanceof Map)) return false;
      let known = true;
      expandDistribution(s.family.type, s.dist, (suffix, label, labelValue) => {
        if (known) known = this.#owns(slot.get(label === undefined ? suffix : `${suffix}\u0000${labelValue}`), s);
      });
      if (!known) return false;
    }
    return true;
  }

  #owns(slot: Slot | undefined, s: Series): boolean {
    return slot !== undefined && slot !== REFUSED && slot.live && slot.src === s && this.#series.get(slot.key) === slot;
  }

  /** Appends the series changed since the last round, marks those removed, and seals the chunks that fill now. */
  #sampleChanged(changes: ChangeSet, r: number): void {
    for (const s of changes.series) {
      const slots = this.#sampleSeries(s.family, s, r);
      // A distribution's expanded samples it no longer has (its buckets changed) left it.
      if (slots) for (const h of slots.values()) if (h !== REFUSED && h.src === s) this.#leave(h, r);
    }
    // After the changes: a series removed and written again since keeps its history series without a marker.
    for (const s of changes.removed) {
      const slot = this.#cache.get(s);
      if (slot instanceof Map) {
        for (const h of slot.values()) if (h !== REFUSED && h.src === s) this.#leave(h, r);
      } else if (slot !== undefined && slot !== REFUSED && slot.src === s) this.#leave(slot, r);
    }
    for (const h of this.#wheel.at(r)) if (h.lastRound < r) this.#catchUp(h, r);
    // Those sealed last round open their next chunk now, as when appended each round (its bytes are counted).
    for (const h of this.#wheel.at(r - 1)) if (h.lastRound < r) this.#catchUp(h, r);
  }

  #catchUpAll(upTo: number): void {
    for (const h of this.#live) if (h.lastRound < upTo) this.#catchUp(h, upTo);
  }

  /** Appends one store series at round `r`; returns a distribution's slots. */
  #sampleSeries(fam: Family, s: Series, r: number): Map<string, Slot> | undefined {
    if (s.dist) {
      let slots = this.#cache.get(s);
      if (!(slots instanceof Map)) {
        if (slots !== undefined && slots !== REFUSED && slots.src === s) this.#leave(slots, r);
        this.#cache.set(s, (slots = new Map()));
      }
      const m = slots;
      expandDistribution(fam.type, s.dist, (suffix, label, labelValue, value) => {
        const k = label === undefined ? suffix : `${suffix}\u0000${labelValue}`;
        const h = this.#resolve(m.get(k), fam.name + suffix, s.labels, label, labelValue, (slot) => m.set(k, slot));
        if (h) this.#append(h, r, value, s);
      });
      return m;
    }
    const slot = this.#cache.get(s);
    if (slot instanceof Map) for (const h of slot.values()) if (h !== REFUSED && h.src === s) this.#leave(h, r);
    const h = this.#resolve(slot instanceof Map ? undefined : slot, fam.name, s.labels, undefined, '', (x) => this.#cache.set(s, x));
    if (h) this.#append(h, r, s.value, s);
    return undefined;
  }

  // --- HistoryReader ---

  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[] {
    const compiled = compileSelector(matchers);
    const [rs, re] = this.#window(startMs, endMs);
    const out: [string, SeriesSamples][] = [];
    if (rs > re) return [];
    for (const h of this.#candidates(compiled)) {
      if (!matchesAll(compiled, h.labels)) continue;
      const samples = this.#samples(h, rs, re);
      if (samples) out.push([h.key, samples]);
    }
    return out.sort((a, b) => keyOrder(a[0], b[0])).map((x) => x[1]);
  }

  /** The label sets of the series `select` would return, without decoding their samples. */
  seriesLabels(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Labels[] {
    compileSelector(matchers);
    return [...this.#inWindow(startMs, endMs, matchers)].map((h) => h.labels);
  }

  labelNames(startMs: number, endMs: number, matchers?: readonly LabelMatcher[]): string[] {
    const names = new Set<string>();
    for (const h of this.#inWindow(startMs, endMs, matchers)) for (const n of Object.keys(h.labels)) names.add(n);
    return [...names].sort(keyOrder);
  }

  labelValues(name: string, startMs: number, endMs: number, matchers?: readonly LabelMatcher[]): string[] {
    const values = new Set<string>();
    for (const h of this.#inWindow(startMs, endMs, matchers)) {
      const v = h.labels[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort(keyOrder);
  }

  oldestMs(): number | undefined {
    let oldest = Infinity;
    for (const h of this.#series.values()) {
      const first = h.sealed[0]?.firstRound ?? h.head?.firstRound;
      if (first === undefined) continue;
      const r = Math.max(first, this.#rounds.first);
      if (this.#rounds.held(r)) oldest = Math.min(oldest, this.#rounds.timeOf(r));
    }
    return oldest === Infinity ? undefined : oldest;
  }

  newestMs(): number | undefined {
    return this.#rounds.last >= 0 ? this.#rounds.timeOf(this.#rounds.last) : undefined;
  }

  follow(family: string): FamilyFollower {
    return new HistoryFollower({ named: (f) => this.#named(f), window: (s, e) => this.#window(s, e), timeOf: (r) => this.#rounds.timeOf(r) }, family);
  }

  subscribe(listener: (tMs: number) => void): () => void {
    if (this.#listeners.size >= MAX_LISTENERS) throw new OutriderError('OUTRIDER_ERR_HISTORY_SUBSCRIBERS', `the history takes at most ${MAX_LISTENERS} subscribers`);
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  // --- persistence (persist.ts owns the file) ---

  /** Every held round's time and every series' chunks (open ones copied), rounds numbered from the oldest held. */
  snapshot(): HistorySnapshot {
    const first = this.#rounds.first;
    const last = this.#rounds.last;
    const roundTimesMs = new Float64Array(Math.max(0, last - first + 1));
    for (let r = first; r <= last; r++) roundTimesMs[r - first] = this.#rounds.timeOf(r);
    const series: SnapshotSeries[] = [];
    for (const h of this.#series.values()) {
      const chunks = this.#chunks(h)
        .filter((c) => c.firstRound >= first && c.firstRound + c.count - 1 <= last)
        .map((c) => ({ firstRound: c.firstRound - first, count: c.count, bytes: c.bytes === h.head?.enc.view() ? h.head.enc.finish() : c.bytes }));
      if (chunks.length > 0) series.push({ labels: h.labels, chunks });
    }
    return { roundTimesMs, series };
  }

  /**
   * Loads a snapshot into an empty history (false, nothing done, when it already holds rounds): its rounds become
   * the first rounds, its chunks sealed chunks, and its series are not live (the next round writes no marker for
   * them). Rounds older than the retention and series past the bounds are left out; returns the series loaded.
   */
  restore(snap: HistorySnapshot, nowMs: number): number | false {
    if (this.#rounds.last >= 0) return false;
    const times = snap.roundTimesMs;
    let from = 0;
    while (from < times.length && (times[from]! < nowMs - this.retentionMs || times.length - from > this.#rounds.capacity)) from++;
    for (let i = from; i < times.length; i++) if (this.#rounds.push(times[i]!) < 0) return false;
    const sealed: { series: HSeries; chunk: Chunk }[] = [];
    let loaded = 0;
    for (const s of snap.series) {
      if (this.#series.size >= this.maxSeries || this.bytes >= this.maxBytes) break;
      const chunks = s.chunks.filter((c) => c.firstRound >= from).map((c): Chunk => ({ firstRound: c.firstRound - from, count: c.count, bytes: c.bytes }));
      if (chunks.length === 0) continue;
      const labels = { ...s.labels };
      const key = labelKey(labels);
      if (this.#series.has(key)) continue;
      const h: HSeries = { labels, key, name: labels['__name__'] ?? '', sealed: [], head: undefined, lastRound: -1, live: false, hi: 0, lo: 0, src: undefined, fill: -1 };
      this.#series.set(key, h);
      let set = this.#byName.get(h.name);
      if (!set) this.#byName.set(h.name, (set = new Set()));
      set.add(h);
      this.#overheadBytes += seriesOverhead(h);
      for (const chunk of chunks.sort((a, b) => a.firstRound - b.firstRound)) {
        h.sealed.push(chunk);
        sealed.push({ series: h, chunk });
        this.#sealedBytes += chunk.bytes.length;
      }
      h.lastRound = h.sealed[h.sealed.length - 1]!.firstRound + h.sealed[h.sealed.length - 1]!.count - 1;
      loaded++;
    }
    // The eviction queue is in the order of the chunks' last rounds, as sealing would have made it.
    this.#queue.push(...sealed.sort((a, b) => a.chunk.firstRound + a.chunk.count - (b.chunk.firstRound + b.chunk.count)));
    return loaded;
  }

  // --- sampling ---

  #resolve(slot: Slot | undefined, name: string, base: Labels, label: string | undefined, labelValue: string, keep: (slot: Slot) => void): HSeries | undefined {
    if (slot !== undefined && slot !== REFUSED && this.#series.get(slot.key) === slot) return slot;
    const labels: Record<string, string> = { ...base, __name__: name };
    if (label !== undefined) labels[label] = labelValue;
    const key = labelKey(labels);
    const existing = this.#series.get(key);
    if (existing) {
      keep(existing);
      return existing;
    }
    const reason: HistoryDropReason | undefined = this.#series.size >= this.maxSeries ? 'max_series' : this.bytes >= this.maxBytes ? 'max_bytes' : undefined;
    if (reason) {
      this.#wholeNext = true; // a refused series is asked again each round, changed or not
      if (slot !== REFUSED) {
        this.dropped[reason]++;
        keep(REFUSED);
      }
      return undefined;
    }
    const h: HSeries = { labels, key, name, sealed: [], head: undefined, lastRound: -1, live: false, hi: 0, lo: 0, src: undefined, fill: -1 };
    this.#series.set(key, h);
    let set = this.#byName.get(name);
    if (!set) this.#byName.set(name, (set = new Set()));
    set.add(h);
    this.#overheadBytes += seriesOverhead(h);
    keep(h);
    return h;
  }

  /** Appends `v` (or, with no `src`, a staleness marker) to `h` at round `r`. */
  #append(h: HSeries, r: number, v: number, src: Series | undefined): void {
    if (h.lastRound === r) {
      // Two store series expanding to one label set: the first wins, and rounds read the whole store meanwhile.
      this.#wholeNext = true;
      return;
    }
    if (src !== undefined) h.src = src;
    if (h.live && h.lastRound < r - 1) this.#catchUp(h, r - 1);
    if (h.head && h.lastRound !== r - 1) this.#seal(h);
    const head = h.head ?? this.#open(h, r);
    const before = head.enc.capacity;
    if (src === undefined) head.enc.appendBits(STALE_HI, STALE_LO);
    else {
      head.enc.append(v);
      h.hi = head.enc.lastHi;
      h.lo = head.enc.lastLo;
      this.#appended++;
    }
    this.samples++;
    this.#headBytes += head.enc.capacity - before;
    h.lastRound = r;
    if (!h.live && src !== undefined) {
      h.live = true;
      this.#live.add(h);
      h.fill = this.#wheel.add(h, head.firstRound + this.samplesPerChunk - 1);
    }
    if (head.enc.count >= this.samplesPerChunk) this.#seal(h);
  }

  #open(h: HSeries, r: number): Head {
    // Sized like the series' previous chunk: one allocation, no growing copies, in the usual case.
    const size = (h.sealed[h.sealed.length - 1]?.bytes.length ?? HEAD_INITIAL_BYTES - 8) + 8;
    const head: Head = { firstRound: r, enc: new XorEncoder(size) };
    h.head = head;
    this.#headBytes += head.enc.capacity;
    return head;
  }

  /** Writes the repeats of a live series' last value up to round `upTo`, sealing each chunk that fills. */
  #catchUp(h: HSeries, upTo: number): void {
    while (h.lastRound < upTo) {
      let head = h.head;
      let n: number;
      const before = head?.enc.capacity ?? 0;
      if (!head) {
        head = this.#open(h, h.lastRound + 1);
        head.enc.appendBits(h.hi, h.lo);
        n = 1;
      } else {
        n = Math.min(upTo - h.lastRound, this.samplesPerChunk - head.enc.count);
        head.enc.repeat(n);
        this.#headBytes += head.enc.capacity - before;
      }
      h.lastRound += n;
      if (head.enc.count >= this.samplesPerChunk) this.#seal(h);
    }
  }

  /** A live series not appended at round `r` left the store: one staleness marker, then its chunk is done. */
  #leave(h: HSeries, r: number): void {
    if (!h.live || h.lastRound === r) return;
    this.#append(h, r, NaN, undefined);
    this.#seal(h);
    h.live = false;
    this.#live.delete(h);
    this.#wheel.delete(h, h.fill);
    h.fill = -1;
  }

  /** Brings a live series up to the newest round before it is read. */
  #current(h: HSeries): HSeries {
    if (h.live && h.lastRound < this.#rounds.last) this.#catchUp(h, this.#rounds.last);
    return h;
  }

  #seal(h: HSeries): void {
    const head = h.head;
    if (!head) return;
    h.head = undefined;
    this.#headBytes -= head.enc.capacity;
    const chunk: Chunk = { firstRound: head.firstRound, count: head.enc.count, bytes: head.enc.finish() };
    h.sealed.push(chunk);
    this.#queue.push({ series: h, chunk });
    this.#sealedBytes += chunk.bytes.length;
  }

  /** Drops sealed chunks past the retention or out of the round ring, then the oldest while over maxBytes. */
  #expire(tMs: number): void {
    const cutoff = tMs - this.retentionMs;
    let over = this.bytes - this.maxBytes;
    while (this.#queueHead < this.#queue.length) {
      const { series, chunk } = this.#queue[this.#queueHead]!;
      const lastRound = chunk.firstRound + chunk.count - 1;
      const old = !this.#rounds.held(lastRound) || this.#rounds.timeOf(lastRound) < cutoff;
      if (!old && over <= 0) break;
      if (!old) this.evictedChunks++;
      this.#queueHead++;
      over -= chunk.bytes.length;
      this.#dropChunk(series, chunk);
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #dropChunk(h: HSeries, chunk: Chunk): void {
    const i = h.sealed[0] === chunk ? 0 : h.sealed.indexOf(chunk);
    if (i >= 0) h.sealed.splice(i, 1);
    this.#sealedBytes -= chunk.bytes.length;
    if (h.sealed.length === 0 && !h.head && !h.live) {
      this.#series.delete(h.key);
      const set = this.#byName.get(h.name);
      set?.delete(h);
      if (set?.size === 0) this.#byName.delete(h.name);
      this.#overheadBytes -= seriesOverhead(h);
    }
  }

  // --- reading ---

  /** The held rounds inside [startMs, endMs] as [first, last] (first > last when none). */
  #window(startMs: number, endMs: number): [number, number] {
    if (this.#rounds.last < 0 || Number.isNaN(startMs) || Number.isNaN(endMs)) return [0, -1];
    return [this.#rounds.lowerBound(startMs), this.#rounds.upperBound(endMs)];
  }

  #candidates(compiled: readonly CompiledMatcher[]): Iterable<HSeries> {
    const byName = compiled.find((m) => m.name === '__name__' && m.type === '=');
    return byName ? (this.#byName.get(byName.value) ?? []) : this.#series.values();
  }

  *#inWindow(startMs: number, endMs: number, matchers: readonly LabelMatcher[] | undefined): Iterable<HSeries> {
    const compiled = matchers ? compileSelector(matchers) : undefined;
    const [rs, re] = this.#window(startMs, endMs);
    if (rs > re) return;
    for (const h of compiled ? this.#candidates(compiled) : this.#series.values()) {
      if (compiled && !matchesAll(compiled, h.labels)) continue;
      if (this.#chunks(h).some((c) => c.firstRound <= re && c.firstRound + c.count - 1 >= rs)) yield h;
    }
  }

  *#named(family: string): Iterable<HSeries> {
    for (const h of this.#byName.get(family) ?? []) yield this.#current(h);
  }

  #chunks(h: HSeries): { firstRound: number; count: number; bytes: Uint8Array }[] {
    this.#current(h);
    const out: { firstRound: number; count: number; bytes: Uint8Array }[] = [...h.sealed];
    if (h.head) out.push({ firstRound: h.head.firstRound, count: h.head.enc.count, bytes: h.head.enc.view() });
    return out;
  }

  #samples(h: HSeries, rs: number, re: number): SeriesSamples | undefined {
    const parts: [Float64Array, number, number, number][] = [];
    let n = 0;
    for (const c of this.#chunks(h)) {
      const from = Math.max(rs, c.firstRound);
      const to = Math.min(re, c.firstRound + c.count - 1);
      if (from > to) continue;
      parts.push([decodeXor(c.bytes, to - c.firstRound + 1), c.firstRound, from, to]);
      n += to - from + 1;
    }
    if (n === 0) return undefined;
    const timestampsMs = new Float64Array(n);
    const values = new Float64Array(n);
    let i = 0;
    for (const [decoded, first, from, to] of parts) {
      values.set(decoded.subarray(from - first, to - first + 1), i); // a copy of the bits: markers stay exact
      for (let r = from; r <= to; r++, i++) timestampsMs[i] = this.#rounds.timeOf(r);
    }
    return { labels: h.labels, timestampsMs, values };
  }
}

function seriesOverhead(h: HSeries): number {
  return SERIES_OVERHEAD_BYTES + 2 * h.key.length * 2;
}

/** Plain code-unit order (the order Prometheus sorts label names, values and label sets in). */
function keyOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
