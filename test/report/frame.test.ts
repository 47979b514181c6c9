import t from 'tap';
import { crc32c } from '../../agent/report/crc32c';
import { checkCrc, Codec, encodeFrame, FRAME_HEADER_BYTES, FrameKind, parseHeader } from '../../agent/report/frame';
import { decodePayload, encodePayload, PayloadError } from '../../agent/report/payload';
import { compressSync, decompressSync } from '../../agent/report/codec';
import { packr } from '../../agent/report/payload';

t.test('crc32c matches the standard check value', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  t.equal(crc32c(Buffer.alloc(0)), 0);
  const big = Buffer.alloc(1000, 7);
  t.equal(crc32c(big), crc32c(big.subarray(500), 0, 500, crc32c(big.subarray(0, 500))), 'continues across chunks');
});

t.test('a frame round-trips and a flipped byte fails the checksum', async (t) => {
  const f = encodeFrame(FrameKind.batch, Codec.deflate, 1_700_000_000_123, 42, Buffer.from('hello'));
  const h = parseHeader(f);
  t.ok(h.ok);
  if (!h.ok) return;
  t.same({ ...h.header, crc: 0 }, { codec: Codec.deflate, kind: FrameKind.batch, length: 5, crc: 0, epoch: 1_700_000_000_123, seq: 42 });
  t.ok(checkCrc(f, 0, h.header));
  f[FRAME_HEADER_BYTES + 1] ^= 1;
  t.notOk(checkCrc(f, 0, h.header));
  t.same(parseHeader(Buffer.from('nope')), { ok: false, reason: 'short' });
  t.same(parseHeader(Buffer.alloc(40)), { ok: false, reason: 'magic' });
});

t.test('payload round-trips through every codec', async (t) => {
  const p = {
    agentId: 'host-1',
    sentMs: 123,
    meta: { version: '0.1.0', backlog_bytes: 10 },
    families: [{ fid: 1, name: 'x_total', type: 'counter' as const, help: 'h' }],
    series: [{ sid: 7, fid: 1, labels: ['a', 'b'] }],
    scalars: [7, 1.5],
    dists: [{ sid: 8, count: 3, sum: 4.5, buckets: [0.1, 1, Infinity, 3], quantiles: null, sketch: null }],
  };
  for (const codec of [Codec.none, Codec.gzip, Codec.deflate, Codec.brotli]) {
    const raw = encodePayload(p);
    const back = decodePayload(decompressSync(codec, compressSync(codec, raw), 1 << 20));
    t.same(back, p, `codec ${codec}`);
  }
});

t.test('malformed payloads are refused with a reason, never thrown as something else', async (t) => {
  t.throws(() => decodePayload(Buffer.from([0xc1])), PayloadError);
  t.throws(() => decodePayload(packr.pack({ a: 1 })), PayloadError);
  t.throws(() => decodePayload(packr.pack([1, 'a', 1, {}, [1, 'x'], [], [], []])), PayloadError);
  t.throws(() => decodePayload(packr.pack([1, 'a', 1, {}, [], [], [1, 'x'], []])), PayloadError);
  t.throws(() => decodePayload(packr.pack([1, '', 1, {}, [], [], [], []])), PayloadError);
});

t.test('decompression is bounded', async (t) => {
  const bomb = compressSync(Codec.gzip, Buffer.alloc(10 << 20));
  t.throws(() => decompressSync(Codec.gzip, bomb, 1 << 20), { code: 'ERR_BUFFER_TOO_LARGE' });
});
