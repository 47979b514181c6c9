/**
 * The deterministic record pattern shared by the native test ends
 * (native/src/ring_binding.cc) and the JS ends, so any producer/consumer pair
 * can check byte-exactness with one checksum:
 *   length(i) = minLen + mix(i ^ seed) % (maxLen - minLen + 1)
 *   byte j of record i = (i * 131 + seed + j) & 0xFF
 *   checksum = FNV-1a over every record's length (u32 LE) then payload, in order.
 */
export interface RingPattern {
  seed: number;
  minLen: number;
  maxLen: number;
}

export function patternLength(p: RingPattern, i: number): number {
  let x = (i ^ p.seed) >>> 0;
  x = Math.imul(x, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca77);
  x ^= x >>> 13;
  return p.minLen + ((x >>> 0) % (p.maxLen - p.minLen + 1));
}

export function patternFill(p: RingPattern, i: number, out: Uint8Array, len: number): void {
  const base = (Math.imul(i, 131) + p.seed) | 0;
  for (let j = 0; j < len; j++) out[j] = (base + j) & 0xff;
}

/** Order-sensitive FNV-1a over records. */
export class RecordChecksum {
  h = 0x811c9dc5 | 0;
  records = 0;
  bytes = 0;

  add(bytes: Uint8Array, offset: number, length: number): void {
    let h = this.h;
    h = Math.imul(h ^ (length & 0xff), 0x01000193);
    h = Math.imul(h ^ ((length >>> 8) & 0xff), 0x01000193);
    h = Math.imul(h ^ ((length >>> 16) & 0xff), 0x01000193);
    h = Math.imul(h ^ (length >>> 24), 0x01000193);
    const end = offset + length;
    for (let k = offset; k < end; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    this.h = h;
    this.records++;
    this.bytes += length;
  }

  get value(): number {
    return this.h >>> 0;
  }
}
