import t from 'tap';
import { crc32c } from '../../agent/wire/crc32c';
import { checkCrc, Codec, encodeFrame, FRAME_HEADER_BYTES, frameIntact, FrameKind, parseHeader, splitFrames } from '../../agent/wire/frame';
import { decodePayload, encodePayload, PayloadError } from '../../agent/wire/payload';
import { compressSync, decompressSync } from '../../agent/wire/codec';
import { packr } from '../../agent/wire/payload';

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

t.test('splitFrames reads a body of frames into typed headers and payload views; a damaged one fails its own checksum', async (t) => {
  const f1 = encodeFrame(FrameKind.defs, Codec.none, 7, 0, Buffer.from('defs'));
  const f2 = encodeFrame(FrameKind.batch, Codec.gzip, 7, 3, Buffer.from('batch!'));
  const two = splitFrames(Buffer.concat([f1, f2]));
  t.ok(two.ok);
  if (!two.ok) return;
  t.equal(two.frames.length, 2);
  t.same(
    two.frames.map((f) => ({ ...f.header, crc: 0 })),
    [
      { codec: Codec.none, kind: FrameKind.defs, length: 4, crc: 0, epoch: 7, seq: 0 },
      { codec: Codec.gzip, kind: FrameKind.batch, length: 6, crc: 0, epoch: 7, seq: 3 },
    ],
  );
  t.ok(two.frames[1]!.bytes.equals(f2), 'a frame is its whole bytes');
  t.equal(two.frames[1]!.payload.toString(), 'batch!', 'the payload follows the header');
  t.ok(two.frames.every(frameIntact));
  const damaged = Buffer.concat([f1, f2]);
  damaged[damaged.length - 1] ^= 1;
  const d = splitFrames(damaged);
  t.ok(d.ok && frameIntact(d.frames[0]!) && !frameIntact(d.frames[1]!), 'only the damaged frame fails');
  t.same(splitFrames(Buffer.alloc(0)), { ok: false, message: 'bad frame header (body shorter than a header)' });
  t.same(splitFrames(Buffer.concat([f1, Buffer.alloc(10)])), { ok: false, message: `bad frame header at byte ${f1.length} (body shorter than a header)` });
  t.same(splitFrames(f2.subarray(0, f2.length - 1)), { ok: false, message: `body is ${f2.length - 1} bytes, the frame at byte 0 says ${f2.length}` });
  const badKind = Buffer.from(f1);
  badKind[6] = 9;
  t.same(splitFrames(badKind), { ok: false, message: 'bad frame header (kind)' });
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
