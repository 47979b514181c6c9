/**
 * Bit-level writer and reader over a byte array, most significant bit first (the order Gorilla and Prometheus's
 * chunk encodings use). Values go in and out as unsigned 32-bit integers, at most 32 bits at a time; callers split
 * 64-bit patterns into their high and low words.
 */
import { ByteArena } from './byte-arena';

export class BitWriter {
  /** The bytes written to: a typed array of the writer's own, or a page of `#arena` holding its region. */
  #buf: Uint8Array;
  /** Where the writer's bytes start in `#buf`. */
  #base = 0;
  /** Bytes reserved: the initial size, doubled as needed (the region may round it up to 16 bytes). */
  #cap: number;
  #bitLen = 0;
  readonly #arena: ByteArena | undefined;
  /** The arena region's handle (−1: a buffer of its own). */
  #region = -1;

  /** A writer of `initialBytes` reserved, in a region of `arena` when given (`release` gives it back). */
  constructor(initialBytes = 16, arena?: ByteArena) {
    this.#arena = arena;
    this.#cap = Math.max(1, initialBytes);
    this.#buf = this.#reserve(this.#cap);
  }

  get bitLength(): number {
    return this.#bitLen;
  }

  /** Bytes currently reserved (what the writer costs in memory). */
  get capacity(): number {
    return this.#cap;
  }

  /** Writes the low `n` bits of `v` (0 ≤ n ≤ 32). */
  write(v: number, n: number): void {
    if (n === 0) return;
    const needed = (this.#bitLen + n + 7) >>> 3;
    if (needed > this.#cap) this.#grow(needed);
    const buf = this.#buf;
    const base = this.#base;
    while (n > 0) {
      const free = 8 - (this.#bitLen & 7);
      const take = free < n ? free : n;
      const chunk = (v >>> (n - take)) & ((1 << take) - 1);
      buf[base + (this.#bitLen >>> 3)]! |= chunk << (free - take);
      this.#bitLen += take;
      n -= take;
    }
  }

  writeBit(b: 0 | 1): void {
    const needed = (this.#bitLen >>> 3) + 1;
    if (needed > this.#cap) this.#grow(needed);
    if (b) this.#buf[this.#base + (this.#bitLen >>> 3)]! |= 0x80 >>> (this.#bitLen & 7);
    this.#bitLen++;
  }

  /** Writes `n` zero bits (n ≥ 0) at once: the buffer is zeroed past what was written. */
  writeZeros(n: number): void {
    const needed = (this.#bitLen + n + 7) >>> 3;
    if (needed > this.#cap) this.#grow(needed);
    this.#bitLen += n;
  }

  /** The reserved bytes, live (no copy of the bytes): valid until the next write or `release`. */
  view(): Uint8Array {
    return this.#region < 0 ? this.#buf : this.#buf.subarray(this.#base, this.#base + this.#cap);
  }

  /** A copy trimmed to the written length. */
  finish(): Uint8Array {
    return this.#buf.slice(this.#base, this.#base + ((this.#bitLen + 7) >>> 3));
  }

  /** Gives the arena region back (after `finish`); the writer is not used after. */
  release(): void {
    if (this.#region >= 0) this.#arena!.free(this.#region, ByteArena.regionSize(this.#cap));
    this.#region = -1;
  }

  /** `bytes` zeroed bytes: a region of the arena when one fits (setting `#base` and `#region`), else a buffer. */
  #reserve(bytes: number): Uint8Array {
    const size = this.#arena ? ByteArena.regionSize(bytes) : 0;
    if (size === 0) {
      this.#base = 0;
      this.#region = -1;
      return new Uint8Array(bytes);
    }
    this.#region = this.#arena!.alloc(size);
    this.#base = ByteArena.offset(this.#region);
    return this.#arena!.page(this.#region);
  }

  #grow(needed: number): void {
    let size = this.#cap * 2;
    while (size < needed) size *= 2;
    const old = this.#buf;
    const oldBase = this.#base;
    const oldRegion = this.#region;
    const oldCap = this.#cap;
    const next = this.#reserve(size);
    next.set(old.subarray(oldBase, oldBase + oldCap), this.#base);
    if (oldRegion >= 0) this.#arena!.free(oldRegion, ByteArena.regionSize(oldCap));
    this.#buf = next;
    this.#cap = size;
  }
}

export class BitReader {
  readonly #buf: Uint8Array;
  #pos: number;

  /** Reads `buf` from bit `startBit` (0: the start). */
  constructor(buf: Uint8Array, startBit = 0) {
    this.#buf = buf;
    this.#pos = startBit;
  }

  /** Bits read so far, counted from the start of the buffer. */
  get position(): number {
    return this.#pos;
  }

  /** Reads `n` bits (0 ≤ n ≤ 32) as an unsigned integer; bits past the end read as 0. */
  read(n: number): number {
    let out = 0;
    const buf = this.#buf;
    while (n > 0) {
      const avail = 8 - (this.#pos & 7);
      const take = avail < n ? avail : n;
      const byte = buf[this.#pos >>> 3] ?? 0;
      const chunk = (byte >>> (avail - take)) & ((1 << take) - 1);
      out = ((out << take) | chunk) >>> 0;
      this.#pos += take;
      n -= take;
    }
    return out;
  }

  readBit(): number {
    const byte = this.#buf[this.#pos >>> 3] ?? 0;
    const bit = (byte >>> (7 - (this.#pos & 7))) & 1;
    this.#pos++;
    return bit;
  }
}
