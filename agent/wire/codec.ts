/**
 * Payload compression. Node 20's zlib gives gzip, raw deflate and brotli; zstd is not in this runtime's zlib and
 * lz4 would need a native package, so neither is offered (docs/protocol.md has the measurements). Compression runs
 * asynchronously on libuv's thread pool, off the event loop. Decompression is bounded (decompression-bomb guard);
 * gzip and raw deflate use the addon's reused inflater (agent/native/inflate.ts) or its twin, Node's zlib.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { inflateSync } from '../native/inflate';
import { Codec } from './frame';

const gzip = promisify(zlib.gzip);
const deflateRaw = promisify(zlib.deflateRaw);
const brotli = promisify(zlib.brotliCompress);

export const codecNames: Record<string, Codec> = { none: Codec.none, gzip: Codec.gzip, deflate: Codec.deflate, brotli: Codec.brotli };

export async function compress(codec: Codec, data: Buffer, level = 1): Promise<Buffer> {
  switch (codec) {
    case Codec.none:
      return data;
    case Codec.gzip:
      return gzip(data, { level });
    case Codec.deflate:
      return deflateRaw(data, { level });
    case Codec.brotli:
      return brotli(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
  }
}

export function compressSync(codec: Codec, data: Buffer, level = 1): Buffer {
  switch (codec) {
    case Codec.none:
      return data;
    case Codec.gzip:
      return zlib.gzipSync(data, { level });
    case Codec.deflate:
      return zlib.deflateRawSync(data, { level });
    case Codec.brotli:
      return zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level } });
  }
}

/** Throws a RangeError (code ERR_BUFFER_TOO_LARGE) past `maxBytes` of output. */
export function decompressSync(codec: Codec, data: Uint8Array, maxBytes: number): Buffer {
  const opts = { maxOutputLength: maxBytes };
  switch (codec) {
    case Codec.none:
      if (data.length > maxBytes) throw Object.assign(new RangeError('payload too large'), { code: 'ERR_BUFFER_TOO_LARGE' });
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case Codec.gzip:
      return inflateSync(data, 'gzip', maxBytes);
    case Codec.deflate:
      return inflateSync(data, 'raw', maxBytes);
    case Codec.brotli:
      return zlib.brotliDecompressSync(data, opts);
  }
}
