/** NaN and infinities: refused (and counted) where they would poison a fleet-wide merge, kept on gauges. */
import t from 'tap';
import { Aggregator } from '../../agent/aggregator/server';
import { counterDefs, frame, metricsMatching, payload, post, startAggregator, tmpDir } from './helpers';

const metrics = async (url: string) => (await fetch(url + '/metrics')).text();

t.test('a NaN or infinite counter value is refused and counted; the counter goes on counting', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  t.same((await post(url, frame(payload({ ...counterDefs, scalars: [10, 10, 11, NaN] }), 100, 1))).json, { status: 'applied' });
  t.same((await post(url, frame(payload({ scalars: [10, NaN] }), 100, 2))).json, { status: 'applied' });
  t.same((await post(url, frame(payload({ scalars: [10, Infinity] }), 100, 3))).json, { status: 'applied' });
  t.same((await post(url, frame(payload({ scalars: [10, 15] }), 100, 4))).json, { status: 'applied' });
  const text = await metrics(url);
  t.match(text, /reqs_total\{path="\/a"\} 15\n/, '10 then 15: the NaN and the infinity neither stop nor reset the counter');
  t.match(text, /temp\{instance="a1"\} NaN \d+\n/, 'a gauge may be NaN');
  const re = /outrider_aggregator_refused_samples_total\{reason="non_finite"\} 2\n/;
  t.match(await metricsMatching(url, re), re);
});

t.test("one agent's NaN histogram count does not poison the fleet histogram, before or after a restart", async (t) => {
  const dir = tmpDir(t);
  const defs = { families: [{ fid: 1, name: 'lat', type: 'histogram' as const, help: '' }], series: [{ sid: 1, fid: 1, labels: [] }] };
  const dist = (count: number, sum: number, b1: number) => ({ sid: 1, count, sum, buckets: [0.1, b1, Infinity, count], quantiles: null, sketch: null });
  let agg: Aggregator = await startAggregator(dir);
  let url = agg.url();
  await post(url, frame(payload({ agentId: 'good', ...defs, dists: [dist(4, 2, 1)] }), 100, 1));
  for (const [i, d] of [dist(NaN, 1, 1), dist(3, NaN, 1), dist(3, 1, NaN), dist(Infinity, 1, 1)].entries()) {
    t.same((await post(url, frame(payload({ agentId: 'bad', ...defs, dists: [d] }), 100, i + 1))).json, { status: 'applied' });
  }
  const want = /lat_count 4\n/;
  let text = await metrics(url);
  t.match(text, want);
  t.match(text, /lat_sum 2\n/);
  t.match(text, /lat_bucket\{le="0.1"\} 1\n/);
  t.notMatch(text, /lat_\w+(\{[^}]*\})? NaN/);
  await agg.stop();
  agg = await startAggregator(dir);
  t.teardown(() => agg.stop());
  url = agg.url();
  text = await metrics(url);
  t.match(text, want, 'after a restart');
  t.notMatch(text, /lat_\w+(\{[^}]*\})? NaN/);
});

t.test('a scalar for a histogram family or a distribution for a counter family is a counted type mismatch', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  const defs = {
    families: [
      { fid: 1, name: 'lat', type: 'histogram' as const, help: '' },
      { fid: 2, name: 'c_total', type: 'counter' as const, help: '' },
    ],
    series: [
      { sid: 1, fid: 1, labels: [] },
      { sid: 2, fid: 2, labels: [] },
    ],
  };
  await post(url, frame(payload({ ...defs, dists: [{ sid: 1, count: 2, sum: 1, buckets: [1, 2, Infinity, 2], quantiles: null, sketch: null }], scalars: [2, 5] }), 100, 1));
  await post(url, frame(payload({ scalars: [1, 7], dists: [{ sid: 2, count: 2, sum: 1, buckets: null, quantiles: null, sketch: null }] }), 100, 2));
  const text = await metrics(url);
  t.match(text, /lat_count 2\n/);
  t.match(text, /c_total 5\n/);
  const re = /outrider_aggregator_refused_samples_total\{reason="type_mismatch"\} 2\n/;
  t.match(await metricsMatching(url, re), re);
});
