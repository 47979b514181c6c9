/**
 * Decompression of received payloads with a bounded cost to the event loop. A payload that inflates to at most
 * `SYNC_INFLATE_BYTES` (a usual batch) is inflated at once on the calling thread (the addon's reused inflater,
 * agent/wire/codec.ts). One that would inflate past that goes to a zlib stream, on libuv's thread pool in chunks,
 * twice: first only counting its output (past `maxBytes` the stream is destroyed), then, within the bound, keeping
 * it. So a decompression bomb costs the event loop one small synchronous attempt and a callback per chunk, and holds
 * no more than one chunk of output at a time, whatever its ratio; a payload that is not a bomb costs the thread pool
 * a second inflate.
 *
 * Both ways refuse the same inputs: past `maxBytes` a RangeError of code ERR_BUFFER_TOO_LARGE, bad or truncated input
 * or bytes after the end of the stream an error.
 */
import zlib from 'node:zlib';
import { decompressSync } from '../wire/codec';
import { Codec } from '../wire/frame';

/** Most output inflated synchronously before the rest goes to the thread pool. */
export const SYNC_INFLATE_BYTES = 256 * 1024;
/** Output per chunk of a streamed inflate (one event-loop callback each). */
const STREAM_CHUNK_BYTES = 256 * 1024;

const tooLarge = () => Object.assign(new RangeError('payload too large'), { code: 'ERR_BUFFER_TOO_LARGE' });

/** Inflates `data` (`codec`) to at most `maxBytes`, as described above. */
export async function inflatePayload(codec: Codec, data: Uint8Array, maxBytes: number, syncBytes = SYNC_INFLATE_BYTES): Promise<Buffer> {
  if (codec === Codec.none || maxBytes <= syncBytes) return decompressSync(codec, data, maxBytes);
  try {
    return decompressSync(codec, data, syncBytes);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
  }
  await inflateStreamed(codec, data, maxBytes, false);
  return (await inflateStreamed(codec, data, maxBytes, true))!;
}

function stream(codec: Codec): zlib.Gunzip | zlib.InflateRaw | zlib.BrotliDecompress {
  if (codec === Codec.gzip) return zlib.createGunzip({ chunkSize: STREAM_CHUNK_BYTES });
  if (codec === Codec.deflate) return zlib.createInflateRaw({ chunkSize: STREAM_CHUNK_BYTES });
  return zlib.createBrotliDecompress({ chunkSize: STREAM_CHUNK_BYTES });
}

/** Inflates on the thread pool: the output when `keep`, else only checked (size and stream). */
function inflateStreamed(codec: Codec, data: Uint8Array, maxBytes: number, keep: boolean): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const z = stream(codec);
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      chunks.length = 0;
      z.destroy();
      reject(err);
    };
    z.on('data', (c: Buffer) => {
      n += c.length;
      if (n > maxBytes) return fail(tooLarge());
      if (keep) chunks.push(c);
    });
    z.on('error', fail);
    z.on('end', () => {
      if (done) return;
      // zlib stops at the end of the stream and leaves the rest; a payload is exactly one stream.
      if (z.bytesWritten !== data.length) return fail(Object.assign(new Error('data after the end of the compressed stream'), { code: 'EINVAL' }));
      done = true;
      resolve(!keep ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n));
    });
    z.end(data);
  });
}
