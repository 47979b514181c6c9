/**
 * CRC-32C (Castagnoli). Native: SSE4.2 `crc32` instruction (table fallback on
 * CPUs without it). Twin: slicing-by-8 tables in TS. Both give
 * crc32c("123456789") === 0xE3069283 and chain: crc32c(b, crc32c(a)) equals
 * crc32c(a ++ b).
 */
import { ErrorCode, OutriderError } from './errors';
import { nativeBinding } from './loader';

const POLY = 0x82f63b78;
let tables: Uint32Array | null = null;

function getTables(): Uint32Array {
  if (tables) return tables;
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 8; s++) {
      const prev = t[(s - 1) * 256 + i]!;
      t[s * 256 + i] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  tables = t;
  return t;
}

export function checkBytes(data: unknown, what: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new OutriderError(ErrorCode.INVALID_ARG, `${what}: a Uint8Array or Buffer is required`);
}

function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new OutriderError(ErrorCode.INVALID_ARG, `crc32c: seed must be an integer in [0, 2^32), got ${String(seed)}`);
  }
  return seed;
}

/** The TS twin: table-driven CRC-32C. */
export function crc32cTs(data: Uint8Array, seed = 0): number {
  checkBytes(data, 'crc32c');
  checkSeed(seed);
  const t = getTables();
  let c = ~seed >>> 0;
  let i = 0;
  const n = data.length;
  while (n - i >= 8) {
    const lo = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ c;
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  while (i < n) c = (c >>> 8) ^ t[(c ^ data[i++]!) & 0xff]!;
  return ~c >>> 0;
}

/** The native implementation (throws NATIVE_UNAVAILABLE without the addon). */
export function crc32cNative(data: Uint8Array, seed = 0): number {
  checkBytes(data, 'crc32c');
  checkSeed(seed);
  const b = nativeBinding();
  if (!b) throw new OutriderError(ErrorCode.NATIVE_UNAVAILABLE, 'crc32c: native addon not loaded');
  return b.crc32c(data, seed) >>> 0;
}

/**
 * CRC-32C of `data`, continuing from `seed` (a previous result; 0 to start).
 * Synchronous on the calling thread; for large buffers off the JS thread use
 * {@link ThreadPool.crc32c}.
 */
export const crc32c: (data: Uint8Array, seed?: number) => number = nativeBinding() ? crc32cNative : crc32cTs;
