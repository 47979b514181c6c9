/**
 * The value encoding of one history chunk: Gorilla's XOR scheme (Pelkonen et al., VLDB 2015), as Prometheus's
 * `chunkenc.XORChunk` writes values.
 *
 * - the first value: its 64 bits as they are;
 * - then each value XORed with the previous one:
 *   `0`                                   the same bits as the previous value;
 *   `10` + the meaningful bits            the XOR fits inside the previous leading/trailing-zero window;
 *   `11` + 5 bits of leading zeros (capped at 31) + 6 bits of meaningful-bit count (64 written as 0) + the bits.
 *
 * Values are handled as raw IEEE-754 bit patterns, so NaN payloads (the staleness marker), ±Inf and -0 survive a
 * round trip exactly. Timestamps are not in the chunk: every series is sampled on the same rounds, so the chunk
 * names its first round and the round times are kept once for all series (rounds.ts).
 */
import { BitReader, BitWriter } from './bits';
import type { ByteArena } from './byte-arena';

const f64 = new Float64Array(1);
// Signed words: a 32-bit integer stays a small integer in V8 (an unsigned one past 2^31 would be a boxed number).
const i32 = new Int32Array(f64.buffer);
// Word order of a double in memory (little-endian hosts keep the low word first).
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * Appends values to a growing chunk. It is its own bit writer (one object per open chunk rather than two), in a
 * region of `arena` when given (`release` gives the region back once the chunk is finished).
 */
export class XorEncoder extends BitWriter {
  #count = 0;
  #hi = 0;
  #lo = 0;
  #leading = -1;
  #trailing = 0;

  constructor(initialBytes = 16, arena?: ByteArena) {
    super(initialBytes, arena);
  }

  get count(): number {
    return this.#count;
  }

  append(v: number): void {
    f64[0] = v;
    this.appendBits(i32[HI]!, i32[LO]!);
  }

  /**
   * Appends a value by its IEEE-754 bit pattern (high and low 32-bit words, signed or unsigned alike), so no NaN
   * payload can be altered.
   */
  appendBits(hi: number, lo: number): void {
    hi |= 0;
    lo |= 0;
    if (this.#count++ === 0) {
      this.write(hi, 32);
      this.write(lo, 32);
    } else {
      const xh = hi ^ this.#hi;
      const xl = lo ^ this.#lo;
      if (xh === 0 && xl === 0) {
        this.writeBit(0);
      } else {
        this.writeBit(1);
        let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
        const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
        if (leading > 31) leading = 31;
        if (this.#leading >= 0 && leading >= this.#leading && trailing >= this.#trailing) {
          this.writeBit(0);
          writeShifted(this, xh, xl, this.#trailing, 64 - this.#leading - this.#trailing);
        } else {
          this.#leading = leading;
          this.#trailing = trailing;
          const sig = 64 - leading - trailing;
          this.writeBit(1);
          this.write(leading, 5);
          this.write(sig & 63, 6);
          writeShifted(this, xh, xl, trailing, sig);
        }
      }
    }
    this.#hi = hi;
    this.#lo = lo;
  }

  /** The last value's IEEE-754 words (high, low) as signed 32-bit integers; 0 before the first value. */
  get lastHi(): number {
    return this.#hi;
  }

  get lastLo(): number {
    return this.#lo;
  }

  /** Appends the last value `n` more times (a value equal to the previous one is one `0` bit). */
  repeat(n: number): void {
    if (n <= 0) return;
    if (this.#count === 0) throw new RangeError('repeat needs a first value');
    this.writeZeros(n);
    this.#count += n;
  }
}

function writeShifted(w: BitWriter, xh: number, xl: number, shift: number, sig: number): void {
  let h: number;
  let l: number;
  if (shift === 0) {
    h = xh;
    l = xl;
  } else if (shift >= 32) {
    h = 0;
    l = (xh >>> (shift - 32)) | 0;
  } else {
    h = xh >>> shift;
    l = (xl >>> shift) | (xh << (32 - shift));
  }
  if (sig > 32) {
    w.write(h, sig - 32);
    w.write(l, 32);
  } else {
    w.write(l, sig);
  }
}

/**
 * Decodes the first `count` values of `bytes` into `out` from `offset`; returns `out`. The words are written
 * through an integer view, so NaN payloads (the staleness marker) reach `out` exactly.
 */
export function decodeXor(bytes: Uint8Array, count: number, out: Float64Array = new Float64Array(count), offset = 0): Float64Array {
  new XorCursor().advance(bytes, count, 0, out, offset);
  return out;
}

/**
 * A decoder that stops and resumes: it remembers where it stopped in a chunk (bit position, previous value, the
 * leading/trailing-zero window), so reading a chunk's new values round after round decodes each value once instead
 * of the chunk from its start each time. It stays valid while the chunk's bytes only grow at the end (an open chunk)
 * or are copied unchanged (sealing).
 */
export class XorCursor {
  /** Values decoded so far (the index of the next one). */
  index = 0;
  #bit = 0;
  #hi = 0;
  #lo = 0;
  #leading = 0;
  #trailing = 0;

  /** Back to the chunk's start. */
  reset(): void {
    this.index = 0;
    this.#bit = 0;
    this.#hi = this.#lo = this.#leading = this.#trailing = 0;
  }

  /**
   * Decodes values `index`…`to − 1` of `bytes`, writing those at or after `from` into `out` (as raw words, so NaN
   * payloads survive) from `outOffset`; returns how many were written. `words` is `out` seen as 32-bit words (pass
   * it to save making the view on every call).
   */
  advance(bytes: Uint8Array, to: number, from: number, out: Float64Array, outOffset: number, words = new Uint32Array(out.buffer, out.byteOffset, out.length * 2)): number {
    if (this.index >= to) return 0;
    const r = new BitReader(bytes, this.#bit);
    let { index: i } = this;
    let hi = this.#hi;
    let lo = this.#lo;
    let leading = this.#leading;
    let trailing = this.#trailing;
    let o = outOffset;
    if (i === 0) {
      hi = r.read(32);
      lo = r.read(32);
      if (from <= 0) {
        words[2 * o + HI] = hi;
        words[2 * o + LO] = lo;
        o++;
      }
      i = 1;
    }
    for (; i < to; i++) {
      if (r.readBit() === 1) {
        if (r.readBit() === 1) {
          leading = r.read(5);
          let sig = r.read(6);
          if (sig === 0) sig = 64;
          trailing = 64 - leading - sig;
        }
        const sig = 64 - leading - trailing;
        let h = 0;
        let l: number;
        if (sig > 32) {
          h = r.read(sig - 32);
          l = r.read(32);
        } else {
          l = r.read(sig);
        }
        let xh: number;
        let xl: number;
        if (trailing === 0) {
          xh = h;
          xl = l;
        } else if (trailing >= 32) {
          xh = (l << (trailing - 32)) >>> 0;
          xl = 0;
        } else {
          xh = ((h << trailing) | (l >>> (32 - trailing))) >>> 0;
          xl = (l << trailing) >>> 0;
        }
        hi = (hi ^ xh) >>> 0;
        lo = (lo ^ xl) >>> 0;
      }
      if (i >= from) {
        words[2 * o + HI] = hi;
        words[2 * o + LO] = lo;
        o++;
      }
    }
    this.index = i;
    this.#bit = r.position;
    this.#hi = hi;
    this.#lo = lo;
    this.#leading = leading;
    this.#trailing = trailing;
    return o - outOffset;
  }
}
