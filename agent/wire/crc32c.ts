/**
 * CRC-32C (Castagnoli) over a byte range: the spool and wire frame checksum. The addon's SSE4.2 implementation, or
 * its slicing-by-8 TypeScript twin, chosen once at load by agent/native.
 */
import { crc32c as crc32cBytes } from '../native/crc32c';

/** CRC-32C of `buf[start, end)`, continuing from `crc` (0 to start). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  return crc32cBytes(start === 0 && end === buf.length ? buf : buf.subarray(start, end), crc >>> 0);
}
