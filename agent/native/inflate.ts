/**
 * Synchronous decompression of small payloads (the aggregator decompresses every request body it receives). The
 * addon keeps one zlib inflate state per thread and resets it per call; its TypeScript twin is Node's zlib, which
 * sets up (and tears down) an inflater and its 32 KiB window for every call — about 8 % of the aggregator's CPU at
 * 200-sample batches (bench/README.md, Reporting and aggregator).
 *
 * Both refuse more than `maxOutput` bytes with a RangeError-like error of code ERR_BUFFER_TOO_LARGE (a
 * decompression bomb), and bad or truncated input with an error. Input after the end of the compressed stream is an
 * error in both: a payload is exactly one stream.
 */
import zlib from 'node:zlib';
import { checkBytes } from './crc32c';
import { nativeBinding } from './loader';

export type InflateFormat = 'raw' | 'gzip' | 'zlib';

const formatCodes: Record<InflateFormat, 0 | 1 | 2> = { raw: 0, gzip: 1, zlib: 2 };

function checkMax(maxOutput: number): void {
  if (!(Number.isInteger(maxOutput) && maxOutput >= 1 && maxOutput <= 2 ** 32)) throw new RangeError(`inflate: maxOutput must be an integer in [1, 2^32], got ${String(maxOutput)}`);
}

/** The TypeScript twin: Node's zlib. */
export function inflateSyncTs(data: Uint8Array, format: InflateFormat, maxOutput: number): Buffer {
  checkBytes(data, 'inflate');
  checkMax(maxOutput);
  const opts: zlib.ZlibOptions = { maxOutputLength: maxOutput, info: true };
  const r = (format === 'raw' ? zlib.inflateRawSync(data, opts) : format === 'gzip' ? zlib.gunzipSync(data, opts) : zlib.inflateSync(data, opts)) as unknown as {
    buffer: Buffer;
    engine: { bytesWritten: number };
  };
  // zlib stops at the end of the stream and leaves the rest; the native path refuses it, and so does this one.
  if (r.engine.bytesWritten !== data.length) throw Object.assign(new Error('data after the end of the compressed stream'), { code: 'EINVAL' });
  return r.buffer;
}

/** The native implementation (throws without the addon). */
export function inflateSyncNative(data: Uint8Array, format: InflateFormat, maxOutput: number): Buffer {
  checkBytes(data, 'inflate');
  checkMax(maxOutput);
  const b = nativeBinding();
  if (!b) throw Object.assign(new Error('inflate: native addon not loaded'), { code: 'NATIVE_UNAVAILABLE' });
  return b.inflateSync(data, formatCodes[format], maxOutput);
}

/** Decompresses one whole `format` stream of at most `maxOutput` bytes, on the calling thread. */
export const inflateSync: (data: Uint8Array, format: InflateFormat, maxOutput: number) => Buffer = nativeBinding() ? inflateSyncNative : inflateSyncTs;
