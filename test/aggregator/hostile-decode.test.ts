/** Payloads that decode to far more than they weigh, and oversized labels, refused and counted. */
import t from 'tap';
import { Codec, encodeFrame, FrameKind } from '../../agent/wire/frame';
import { compressSync } from '../../agent/wire/codec';
import { encodePayload, packr } from '../../agent/wire/payload';
import { counterDefs, frame, metricsMatching, payload, post, startAggregator, tmpDir } from './helpers';

/** A batch whose scalars are `n` nils: n bytes of msgpack, a few kilobytes deflated. */
function amplified(n: number): Buffer {
  const head = Buffer.from(packr.pack([1, 'a1', Date.now(), {}, [], []]));
  head[0] = 0x98;
  const arr = Buffer.alloc(5 + n, 0xc0);
  arr[0] = 0xdd;
  arr.writeUInt32BE(n, 1);
  const raw = Buffer.concat([head, arr, Buffer.from([0x90])]);
  return encodeFrame(FrameKind.batch, Codec.deflate, 100, 1, compressSync(Codec.deflate, raw));
}

t.test('a small body that decodes to millions of values is refused with 413 before it is built, and counted', async (t) => {
  const agg = await startAggregator(tmpDir(t), { maxDecompressedBytes: 8 << 20, payloadLimits: { maxElements: 100_000 } });
  t.teardown(() => agg.stop());
  const body = amplified(3_000_000);
  t.ok(body.length < 20_000, `the body is ${body.length} bytes`);
  const r = await post(agg.url(), body);
  t.equal(r.status, 413);
  t.equal(r.json.code, 'OUTRIDER_ERR_AGG_TOO_LARGE');
  t.match(String(r.json.message), /more than 100000 values/);
  const tl = /outrider_aggregator_requests_total\{result="too_large"\} 1\n/;
  t.match(await metricsMatching(agg.url(), tl), tl);
  // An honest batch still goes through.
  t.equal((await post(agg.url(), frame(payload({ ...counterDefs, scalars: [10, 1] }), 100, 1))).status, 200);
});

t.test('the default bounds refuse the amplified body too', async (t) => {
  const agg = await startAggregator(tmpDir(t), { maxDecompressedBytes: 8 << 20 });
  t.teardown(() => agg.stop());
  const r = await post(agg.url(), amplified(3_000_000));
  t.equal(r.status, 413);
  t.equal(r.json.code, 'OUTRIDER_ERR_AGG_TOO_LARGE');
});

t.test('a huge label value, too many labels or a long label name is refused with 400 and counted', async (t) => {
  const agg = await startAggregator(tmpDir(t), { maxDecompressedBytes: 8 << 20, maxBodyBytes: 8 << 20 });
  t.teardown(() => agg.stop());
  const url = agg.url();
  const fam = [{ fid: 1, name: 'm', type: 'gauge' as const, help: '' }];
  const send = (labels: string[], seq: number) =>
    post(url, encodeFrame(FrameKind.batch, Codec.deflate, 100, seq, compressSync(Codec.deflate, encodePayload(payload({ families: fam, series: [{ sid: 1, fid: 1, labels }], scalars: [1, 1] })))));
  const big = await send(['v', 'x'.repeat(1 << 20)], 1);
  t.equal(big.status, 400);
  t.equal(big.json.code, 'OUTRIDER_ERR_AGG_LABEL_LIMIT');
  const many: string[] = [];
  for (let i = 0; i < 65; i++) many.push(`l${String(i).padStart(3, '0')}`, 'v');
  t.equal((await send(many, 2)).json.code, 'OUTRIDER_ERR_AGG_LABEL_LIMIT');
  t.equal((await send(['n'.repeat(257), 'v'], 3)).json.code, 'OUTRIDER_ERR_AGG_LABEL_LIMIT');
  const ll = /outrider_aggregator_requests_total\{result="label_limit"\} 3\n/;
  t.match(await metricsMatching(url, ll), ll);
  t.equal((await send(['v', 'x'.repeat(4096)], 4)).status, 200, 'at the limit is accepted');
});
