import zlib from 'node:zlib';
import t from 'tap';
import { inflateSyncNative, inflateSyncTs, InflateFormat } from '../../agent/native';
import { bothImpls } from './harness';

type Inflate = (data: Uint8Array, format: InflateFormat, maxOutput: number) => Buffer;

const compressors: Record<InflateFormat, (b: Buffer) => Buffer> = { raw: (b) => zlib.deflateRawSync(b, { level: 1 }), gzip: (b) => zlib.gzipSync(b), zlib: (b) => zlib.deflateSync(b) };

bothImpls(t, 'inflate', { native: () => inflateSyncNative as Inflate, twin: () => inflateSyncTs as Inflate }, (t, inflate) => {
  const inputs = [Buffer.alloc(0), Buffer.from('x'), Buffer.from('metric_total 1\n'.repeat(5000)), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24))];
  for (const format of ['raw', 'gzip', 'zlib'] as const) {
    for (const input of inputs) {
      t.same(inflate(compressors[format](input), format, 1 << 20), input, `${format}: ${input.length} bytes round trip`);
    }
  }
  // One state reused across formats and sizes: a big call, then small ones, then a failure, then a good one.
  const big = compressors.raw(inputs[3]!);
  t.equal(inflate(big, 'raw', 1 << 20).length, 70_000);
  t.same(inflate(compressors.gzip(inputs[1]!), 'gzip', 100), inputs[1]);
  t.throws(() => inflate(Buffer.from('not deflate at all'), 'zlib', 100), { code: /EINVAL|Z_DATA_ERROR/ });
  t.same(inflate(compressors.raw(inputs[2]!), 'raw', 1 << 20), inputs[2], 'a good stream after a bad one');

  const bomb = compressors.raw(Buffer.alloc(10 << 20));
  t.throws(() => inflate(bomb, 'raw', 1 << 20), { code: 'ERR_BUFFER_TOO_LARGE' }, 'past maxOutput: refused (a decompression bomb)');
  t.same(inflate(compressors.raw(Buffer.alloc(1000)), 'raw', 1000), Buffer.alloc(1000), 'exactly maxOutput is fine');
  t.throws(() => inflate(compressors.raw(Buffer.alloc(1001)), 'raw', 1000), { code: 'ERR_BUFFER_TOO_LARGE' });

  const good = compressors.raw(inputs[2]!);
  t.throws(() => inflate(good.subarray(0, good.length - 3), 'raw', 1 << 20), 'truncated input');
  t.throws(() => inflate(Buffer.concat([good, Buffer.from([0])]), 'raw', 1 << 20), { code: 'EINVAL' }, 'data after the stream');
  t.throws(() => inflate('x' as unknown as Uint8Array, 'raw', 10), 'not bytes');
  t.throws(() => inflate(good, 'raw', 0), RangeError);
});
