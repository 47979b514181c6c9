/**
 * Bit-level writer and reader over a byte array, most significant bit first (the order Gorilla and Prometheus's
 * chunk encodings use). Values go in and out as unsigned 32-bit integers, at most 32 bits at a time; callers split
 * 64-bit patterns into their high and low words.
 */

export class BitWriter {
  #buf: Uint8Array;
  #bitLen = 0;

  constructor(initialBytes = 16) {
    this.#buf = new Uint8Array(Math.max(1, initialBytes));
  }

  get bitLength(): number {
    return this.#bitLen;
  }

  /** Bytes currently reserved (what the writer costs in memory). */
  get capacity(): number {
    return this.#buf.length;
  }

  /** Writes the low `n` bits of `v` (0 ≤ n ≤ 32). */
  write(v: number, n: number): void {
    if (n === 0) return;
    const needed = (this.#bitLen + n + 7) >>> 3;
    if (needed > this.#buf.length) this.#grow(needed);
    const buf = this.#buf;
    while (n > 0) {
      const free = 8 - (this.#bitLen & 7);
      const take = free < n ? free : n;
      const chunk = (v >>> (n - take)) & ((1 << take) - 1);
      buf[this.#bitLen >>> 3]! |= chunk << (free - take);
      this.#bitLen += take;
      n -= take;
    }
  }

  writeBit(b: 0 | 1): void {
    const needed = (this.#bitLen >>> 3) + 1;
    if (needed > this.#buf.length) this.#grow(needed);
    if (b) this.#buf[this.#bitLen >>> 3]! |= 0x80 >>> (this.#bitLen & 7);
    this.#bitLen++;
  }

  /** Writes `n` zero bits (n ≥ 0) at once: the buffer is zeroed past what was written. */
  writeZeros(n: number): void {
    const needed = (this.#bitLen + n + 7) >>> 3;
    if (needed > this.#buf.length) this.#grow(needed);
    this.#bitLen += n;
  }

  /** The written bytes, live (no copy): valid until the next write. */
  view(): Uint8Array {
    return this.#buf;
  }

  /** A copy trimmed to the written length. */
  finish(): Uint8Array {
    return this.#buf.slice(0, (this.#bitLen + 7) >>> 3);
  }

  #grow(needed: number): void {
    let size = this.#buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf);
    this.#buf = next;
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
