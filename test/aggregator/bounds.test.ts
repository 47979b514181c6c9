/** Decompression bombs stop early; the state store holds at most max_series (agent, series) states. */
import zlib from 'node:zlib';
import t from 'tap';
import { Codec, encodeFrame, FrameKind } from '../../agent/wire/frame';
import { frame, metricsMatching, payload, post, startAggregator, tmpDir } from './helpers';

t.test('a decompression bomb is refused at the ratio bound, well before the decompression limit', async (t) => {
  const agg = await startAggregator(tmpDir(t), { maxDecompressedBytes: 8 << 20 });
  t.teardown(() => agg.stop());
  const bomb = zlib.deflateRawSync(Buffer.alloc(6 << 20));
  t.ok(bomb.length < 10_000);
  const r = await post(agg.url(), encodeFrame(FrameKind.batch, Codec.deflate, 1, 1, bomb));
  t.equal(r.status, 413);
  t.equal(r.json.code, 'OUTRIDER_ERR_AGG_TOO_LARGE');
  t.match(String(r.json.message), /256 times its \d+ compressed bytes/);
});

t.test('the state holds at most max_series series across agent epochs; the rest is dropped and counted', async (t) => {
  const agg = await startAggregator(tmpDir(t), { maxSeries: 4 });
  t.teardown(() => agg.stop());
  const fam = [{ fid: 1, name: 'c_total', type: 'counter' as const, help: '' }];
  for (let epoch = 1; epoch <= 3; epoch++) {
    const series = [0, 1].map((i) => ({ sid: i + 1, fid: 1, labels: ['k', `e${epoch}-${i}`] }));
    const r = await post(agg.url(), frame(payload({ families: fam, series, scalars: [1, 5, 2, 5] }), epoch, 1));
    t.equal(r.status, 200, `epoch ${epoch}`);
  }
  t.equal(agg.state.series.size, 4, 'bounded');
  const re = /outrider_aggregator_refused_samples_total\{reason="series_limit"\} 2\n/;
  t.match(await metricsMatching(agg.url(), re), re);
});
