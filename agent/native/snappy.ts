/**
 * Snappy block format (what Prometheus remote write sends), TS twin of
 * native/src/codec/snappy.cc. The compressor is the same algorithm step for
 * step, so both produce identical bytes: 64 KiB blocks, a 2^14-entry hash
 * table of the 4-byte word at each position (word * 0x1E35A7BD >>> 18),
 * greedy matches of >= 4 bytes, copy-1 for lengths 4..11 at offsets < 2048,
 * copy-2 otherwise, literals with 1..4 extra length bytes.
 */
import { ErrorCode, OutriderError } from './errors';
import { nativeBinding } from './loader';

const BLOCK = 1 << 16;
const HASH_BITS = 14;

function load32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

class Out {
  buf: Uint8Array;
  n = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  byte(v: number): void {
    this.ensure(1);
    this.buf[this.n++] = v & 0xff;
  }
  bytes(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    this.buf.set(src.subarray(start, end), this.n);
    this.n += end - start;
  }
}

function literal(out: Out, src: Uint8Array, start: number, len: number): void {
  const n = len - 1;
  if (n < 60) out.byte(n << 2);
  else {
    const bytes = n < 1 << 8 ? 1 : n < 1 << 16 ? 2 : n < 1 << 24 ? 3 : 4;
    out.byte((59 + bytes) << 2);
    for (let i = 0; i < bytes; i++) out.byte(Math.floor(n / 2 ** (8 * i)));
  }
  out.bytes(src, start, start + len);
}

function copyUpTo64(out: Out, offset: number, len: number): void {
  if (len >= 4 && len <= 11 && offset < 2048) {
    out.byte(1 | ((len - 4) << 2) | ((offset >> 8) << 5));
    out.byte(offset & 0xff);
  } else {
    out.byte(2 | ((len - 1) << 2));
    out.byte(offset & 0xff);
    out.byte(offset >> 8);
  }
}

function copy(out: Out, offset: number, len: number): void {
  while (len >= 68) {
    copyUpTo64(out, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    copyUpTo64(out, offset, 60);
    len -= 60;
  }
  copyUpTo64(out, offset, len);
}

/** Compresses `data` to a snappy block. */
export function snappyCompressTs(data: Uint8Array): Buffer {
  if (!(data instanceof Uint8Array)) throw new OutriderError(ErrorCode.INVALID_ARG, 'snappy: a Uint8Array is required');
  const out = new Out(32 + data.length + Math.floor(data.length / 6));
  let v = data.length;
  while (v >= 0x80) {
    out.byte((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.byte(v);
  const table = new Uint16Array(1 << HASH_BITS);
  for (let pos = 0; pos < data.length; pos += BLOCK) {
    const len = Math.min(BLOCK, data.length - pos);
    const block = data.subarray(pos, pos + len);
    table.fill(0);
    let lit = 0;
    let i = 0;
    let skip = 32;
    while (i + 4 <= len) {
      const word = load32(block, i);
      const h = Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS);
      const cand = table[h]!;
      table[h] = i;
      if (cand < i && load32(block, cand) === word) {
        if (i > lit) literal(out, block, lit, i - lit);
        let m = 4;
        while (i + m < len && block[cand + m] === block[i + m]) m++;
        copy(out, i - cand, m);
        i += m;
        lit = i;
        skip = 32;
      } else {
        i += skip >> 5;
        skip++;
      }
    }
    if (len > lit) literal(out, block, lit, len - lit);
  }
  return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.n);
}

function corrupt(why: string): never {
  throw new OutriderError(ErrorCode.POOL_TASK, `snappy: corrupt input (${why})`);
}

/** The declared decoded length of a snappy block and where its elements start, checked against the limits. */
function preamble(data: Uint8Array, maxOutput: number): [expect: number, start: number] {
  if (!(data instanceof Uint8Array)) throw new OutriderError(ErrorCode.INVALID_ARG, 'snappy: a Uint8Array is required');
  let i = 0;
  let expect = 0;
  for (let shift = 0; ; shift += 7) {
    if (i >= data.length || shift > 28) corrupt('bad length preamble');
    const b = data[i++]!;
    expect += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  if (expect > maxOutput) corrupt('declared length exceeds the limit');
  // A 3-byte copy writes at most 64 bytes, so no body decodes to more than 64/3 of its size: a larger declared length
  // is refused before it is allocated (a few bytes must not cost the limit's worth of memory).
  if (expect > Math.ceil(((data.length - i) * 64) / 3)) corrupt('declared length is more than the body can decode to');
  return [expect, i];
}

/**
 * Decompresses a snappy block on the calling thread, refusing outputs over `maxOutput` bytes: the addon's decoder
 * when it is loaded (about 7x faster), the TS twin otherwise. Both refuse the same bodies with a `snappy: corrupt
 * input` error.
 */
export function snappyUncompress(data: Uint8Array, maxOutput = 2 ** 30): Buffer {
  const native = nativeBinding()?.snappyUncompressSync;
  if (!native) return snappyUncompressTs(data, maxOutput);
  preamble(data, maxOutput);
  try {
    return native(data, maxOutput);
  } catch (err) {
    return corrupt(err instanceof Error ? err.message : String(err));
  }
}

/** Decompresses a snappy block; refuses outputs over `maxOutput` bytes. */
export function snappyUncompressTs(data: Uint8Array, maxOutput = 2 ** 30): Buffer {
  const [expect, start] = preamble(data, maxOutput);
  let i = start;
  const dst = Buffer.alloc(expect);
  let o = 0;
  while (i < data.length) {
    const tag = data[i++]!;
    let n: number;
    let offset: number;
    const type = tag & 3;
    if (type === 0) {
      n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (i + bytes > data.length) corrupt('truncated literal length');
        n = 0;
        for (let k = 0; k < bytes; k++) n += data[i + k]! * 2 ** (8 * k);
        i += bytes;
      }
      n += 1;
      if (n > data.length - i || n > expect - o) corrupt('literal out of bounds');
      dst.set(data.subarray(i, i + n), o);
      i += n;
      o += n;
      continue;
    }
    if (type === 1) {
      if (i + 1 > data.length) corrupt('truncated copy');
      n = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | data[i]!;
      i += 1;
    } else if (type === 2) {
      if (i + 2 > data.length) corrupt('truncated copy');
      n = 1 + (tag >> 2);
      offset = data[i]! | (data[i + 1]! << 8);
      i += 2;
    } else {
      if (i + 4 > data.length) corrupt('truncated copy');
      n = 1 + (tag >> 2);
      offset = load32(data, i);
      i += 4;
    }
    if (offset === 0 || offset > o || n > expect - o) corrupt('copy out of bounds');
    for (let k = 0; k < n; k++) dst[o + k] = dst[o - offset + k]!;
    o += n;
  }
  if (o !== expect) corrupt('length mismatch');
  return dst;
}
