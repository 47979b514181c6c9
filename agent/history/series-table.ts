/**
 * The history's series and their chunks: the write side of the local history (history.ts).
 *
 * A series holds sealed chunks and at most one open chunk (its head, an XOR encoder). Appending a value or a
 * staleness marker goes to the head; a live series left alone repeats its last value, written when it is next
 * touched (`catchUp`). A chunk is sealed when it fills, when its series leaves, or when a gap opens in its rounds;
 * sealed chunks sit on one queue in the order they were sealed, from whose head retention and the byte bound drop
 * (`expire`). The table keeps the byte counts the bounds read.
 *
 * Series are found by name, then by `key`: the label key (store/label-key.ts) of their labels other than
 * `__name__`. For a plain store series that is the store's own key string, shared rather than copied; a label set is
 * built by assignments in its order (a spread copy gets a hidden class of its own per object on some V8 versions).
 */
import type { Series } from '../store/records';
import type { Labels } from '../store/types';
import { labelKey } from '../store/store';
import type { Rounds } from './rounds';
import { ByteArena } from './byte-arena';
import { FillWheel } from './fill-wheel';
import { STALE_NAN_BITS } from './types';
import { XorEncoder } from './xor-chunk';

export type HistoryDropReason = 'max_series' | 'max_bytes';

export interface Chunk {
  readonly firstRound: number;
  readonly count: number;
  readonly bytes: Uint8Array;
}

/** An open chunk: its first round and its encoder, one object. */
export class Head extends XorEncoder {
  readonly firstRound: number;

  constructor(firstRound: number, initialBytes: number, arena: ByteArena) {
    super(initialBytes, arena);
    this.firstRound = firstRound;
  }

  /** The chunk's encoder (the open chunk itself). */
  get enc(): XorEncoder {
    return this;
  }
}

export interface HSeries {
  readonly labels: Labels;
  /** The label key of `labels` without `__name__` (the store series' key when it has the same labels). */
  readonly key: string;
  readonly name: string;
  /** Oldest first; a series without sealed chunks shares one empty array (NO_CHUNKS). */
  sealed: Chunk[];
  head: Head | undefined;
  /** The last round written; a live series repeats its last value (hi, lo) up to the newest round. */
  lastRound: number;
  hi: number;
  lo: number;
  /** The store series that last wrote it. */
  src: Series | undefined;
  /** Its slot on the fill wheel while live (it is live while this is ≥ 0): a series seen in the last round it was read. */
  fill: number;
}

/** A store series refused for a bound (counted once while it stays refused). */
export const REFUSED = Symbol('refused');
export type Slot = HSeries | typeof REFUSED;

/** Estimated fixed cost of one series (objects, map entries) besides its label strings. */
const SERIES_OVERHEAD_BYTES = 240;
const HEAD_INITIAL_BYTES = 16;
// The staleness marker by its words, appended without passing through a number (which may quiet the NaN).
const STALE_HI = Number(STALE_NAN_BITS >> 32n);
const STALE_LO = Number(STALE_NAN_BITS & 0xffffffffn);

export class SeriesTable {
  readonly rounds: Rounds;
  readonly samplesPerChunk: number;
  readonly maxSeries: number;
  readonly maxBytes: number;
  /** Series by name, then by the label key of their other labels. */
  readonly byName = new Map<string, Map<string, HSeries>>();
  #size = 0;
  readonly live = new Set<HSeries>();
  /** Live series by the round their open chunk fills (fill-wheel.ts). */
  readonly wheel: FillWheel<HSeries>;
  /** Where open chunks keep their bytes (byte-arena.ts). */
  readonly #arena = new ByteArena();
  readonly #queue: { series: HSeries; chunk: Chunk }[] = [];
  #queueHead = 0;
  #sealedBytes = 0;
  #headBytes = 0;
  #overheadBytes = 0;
  /** The next round reads the whole store: a bound refused a series, or two store series wrote one label set. */
  wholeNext = true;
  /** Values (not markers) appended this round; a live series not appended repeats its value, counted as a sample. */
  appended = 0;
  readonly dropped: Record<HistoryDropReason, number> = { max_series: 0, max_bytes: 0 };
  /** Samples appended (staleness markers included). */
  samples = 0;
  /** Sealed chunks dropped before their retention ran out, to keep under maxBytes. */
  evictedChunks = 0;

  constructor(rounds: Rounds, samplesPerChunk: number, maxSeries: number, maxBytes: number) {
    this.rounds = rounds;
    this.samplesPerChunk = samplesPerChunk;
    this.maxSeries = maxSeries;
    this.maxBytes = maxBytes;
    this.wheel = new FillWheel(samplesPerChunk);
  }

  /** Series held. */
  get size(): number {
    return this.#size;
  }

  /** Every series held. */
  *all(): Iterable<HSeries> {
    for (const m of this.byName.values()) yield* m.values();
  }

  /** The series of `name` whose other labels have label key `key`. */
  get(name: string, key: string): HSeries | undefined {
    return this.byName.get(name)?.get(key);
  }

  /** Whether `h` is still held (not dropped with its last chunk). */
  holds(h: HSeries): boolean {
    return this.byName.get(h.name)?.get(h.key) === h;
  }

  /** Bytes held: chunk bytes (sealed, and reserved by open chunks), the round times, and a per-series estimate. */
  get bytes(): number {
    return this.#sealedBytes + this.#headBytes + this.#overheadBytes + this.rounds.bytes;
  }

  byteParts(): { sealed: number; open: number; rounds: number; series: number } {
    return { sealed: this.#sealedBytes, open: this.#headBytes, rounds: this.rounds.bytes, series: this.#overheadBytes };
  }

  /**
   * The slot of a store series whose last slot was `slot`: the history series of the label set made of `base`,
   * `__name__` and `label` (found or made), or REFUSED by a bound. `baseKey` is the label key of `base` (the store
   * series' key), used when no `label` is added.
   */
  resolve(slot: Slot | undefined, name: string, base: Labels, baseKey: string, label: string | undefined, labelValue: string): Slot {
    if (slot !== undefined && slot !== REFUSED && this.holds(slot)) return slot;
    // A plain series' label set is built only when it is added (not each round a bound refuses it).
    const plain = label === undefined && base['__name__'] === undefined;
    const labels = plain ? undefined : labelSet(base, name, label, labelValue);
    const key = labels ? keyOf(labels) : baseKey;
    const existing = this.get(name, key);
    if (existing) return existing;
    const reason: HistoryDropReason | undefined = this.#size >= this.maxSeries ? 'max_series' : this.bytes >= this.maxBytes ? 'max_bytes' : undefined;
    if (reason) {
      this.wholeNext = true; // a refused series is asked again each round, changed or not
      if (slot !== REFUSED) this.dropped[reason]++;
      return REFUSED;
    }
    return this.add(labels ?? labelSet(base, name, undefined, ''), key, name);
  }

  /** A new, empty, not live series (the caller checked that `name` and `key` are not held). */
  add(labels: Labels, key: string, name: string): HSeries {
    const h: HSeries = { labels, key, name, sealed: NO_CHUNKS, head: undefined, lastRound: -1, hi: 0, lo: 0, src: undefined, fill: -1 };
    let m = this.byName.get(name);
    if (!m) this.byName.set(name, (m = new Map()));
    m.set(key, h);
    this.#size++;
    this.#overheadBytes += seriesOverhead(h);
    return h;
  }

  /** Appends `v` (or, with no `src`, a staleness marker) to `h` at round `r`. */
  append(h: HSeries, r: number, v: number, src: Series | undefined): void {
    if (h.lastRound === r) {
      // Two store series expanding to one label set: the first wins, and rounds read the whole store meanwhile.
      this.wholeNext = true;
      return;
    }
    if (src !== undefined) h.src = src;
    if (h.fill >= 0 && h.lastRound < r - 1) this.catchUp(h, r - 1);
    if (h.head && h.lastRound !== r - 1) this.#seal(h);
    const head = h.head ?? this.#open(h, r);
    const before = head.enc.capacity;
    if (src === undefined) head.enc.appendBits(STALE_HI, STALE_LO);
    else {
      head.enc.append(v);
      h.hi = head.enc.lastHi;
      h.lo = head.enc.lastLo;
      this.appended++;
    }
    this.samples++;
    this.#headBytes += head.enc.capacity - before;
    h.lastRound = r;
    if (h.fill < 0 && src !== undefined) {
      this.live.add(h);
      h.fill = this.wheel.add(h, head.firstRound + this.samplesPerChunk - 1);
    }
    if (head.enc.count >= this.samplesPerChunk) this.#seal(h);
  }

  #open(h: HSeries, r: number): Head {
    // Sized like the series' previous chunk: one allocation, no growing copies, in the usual case.
    const size = (h.sealed[h.sealed.length - 1]?.bytes.length ?? HEAD_INITIAL_BYTES - 8) + 8;
    const head = new Head(r, size, this.#arena);
    h.head = head;
    this.#headBytes += head.enc.capacity;
    return head;
  }

  catchUpAll(upTo: number): void {
    for (const h of this.live) if (h.lastRound < upTo) this.catchUp(h, upTo);
  }

  /** Writes the repeats of a live series' last value up to round `upTo`, sealing each chunk that fills. */
  catchUp(h: HSeries, upTo: number): void {
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
  leave(h: HSeries, r: number): void {
    if (h.fill < 0 || h.lastRound === r) return;
    this.append(h, r, NaN, undefined);
    this.#seal(h);
    this.live.delete(h);
    this.wheel.delete(h, h.fill);
    h.fill = -1;
  }

  /** Brings a live series up to the newest round before it is read. */
  current(h: HSeries): HSeries {
    if (h.fill >= 0 && h.lastRound < this.rounds.last) this.catchUp(h, this.rounds.last);
    return h;
  }

  #seal(h: HSeries): void {
    const head = h.head;
    if (!head) return;
    h.head = undefined;
    this.#headBytes -= head.enc.capacity;
    const chunk: Chunk = { firstRound: head.firstRound, count: head.enc.count, bytes: head.enc.finish() };
    head.enc.release();
    pushSealed(h, chunk);
    this.#queue.push({ series: h, chunk });
    this.#sealedBytes += chunk.bytes.length;
  }

  /** Adds a restored chunk as `h`'s newest sealed chunk (`queueRestored` puts it on the eviction queue). */
  loadSealed(h: HSeries, chunk: Chunk): void {
    pushSealed(h, chunk);
    this.#sealedBytes += chunk.bytes.length;
  }

  /** Queues restored chunks for eviction, in the order of their last rounds, as sealing would have made it. */
  queueRestored(sealed: { series: HSeries; chunk: Chunk }[]): void {
    this.#queue.push(...sealed.sort((a, b) => a.chunk.firstRound + a.chunk.count - (b.chunk.firstRound + b.chunk.count)));
  }

  /** Drops sealed chunks past the retention (`cutoff`) or out of the round ring, then the oldest while over maxBytes. */
  expire(cutoff: number): void {
    let over = this.bytes - this.maxBytes;
    while (this.#queueHead < this.#queue.length) {
      const { series, chunk } = this.#queue[this.#queueHead]!;
      const lastRound = chunk.firstRound + chunk.count - 1;
      const old = !this.rounds.held(lastRound) || this.rounds.timeOf(lastRound) < cutoff;
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
    if (h.sealed.length === 0) h.sealed = NO_CHUNKS;
    if (h.sealed.length === 0 && !h.head && h.fill < 0) {
      const m = this.byName.get(h.name);
      if (m?.get(h.key) !== h) return;
      m.delete(h.key);
      if (m.size === 0) this.byName.delete(h.name);
      this.#size--;
      this.#overheadBytes -= seriesOverhead(h);
    }
  }
}

/** The sealed chunks of a series that has none: shared (frozen), replaced by an array of its own at its first chunk. */
const NO_CHUNKS = Object.freeze([]) as unknown as Chunk[];

function pushSealed(h: HSeries, chunk: Chunk): void {
  if (h.sealed === NO_CHUNKS) h.sealed = [chunk];
  else h.sealed.push(chunk);
}

/** `base` with `__name__` and `label` set, in `base`'s order then theirs (by assignment: see the file's comment). */
function labelSet(base: Labels, name: string, label: string | undefined, labelValue: string): Labels {
  const labels: Record<string, string> = {};
  for (const n in base) labels[n] = base[n]!;
  labels['__name__'] = name;
  if (label !== undefined) labels[label] = labelValue;
  return labels;
}

/** The label key of `labels` without `__name__`. */
export function keyOf(labels: Labels): string {
  if (labels['__name__'] === undefined) return labelKey(labels);
  const rest: Record<string, string> = {};
  for (const n in labels) if (n !== '__name__') rest[n] = labels[n]!;
  return labelKey(rest);
}

/** The estimate counts the label key of the whole label set twice (as two UTF-16 copies), `__name__` included. */
function seriesOverhead(h: HSeries): number {
  const fullKeyLength = h.key.length + (h.labels['__name__'] === undefined ? 0 : '__name__'.length + h.name.length + 2);
  return SERIES_OVERHEAD_BYTES + 2 * fullKeyLength * 2;
}
