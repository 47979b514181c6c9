import zlib from 'node:zlib';
import t from 'tap';
import { Aggregator } from '../../agent/aggregator/server';
import { Codec, encodeFrame, FrameKind } from '../../agent/wire/frame';
import { aggOptions, counterDefs, frame, payload, post, startAggregator, tmpDir } from './helpers';

const metrics = async (url: string) => (await fetch(url + '/metrics')).text();

t.test('applies once: a replayed batch is acknowledged as a duplicate and not applied', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  const b1 = frame(payload({ ...counterDefs, scalars: [10, 5, 11, 20] }), 100, 1);
  t.same(await post(url, b1), { status: 200, json: { status: 'applied' } });
  t.same(await post(url, b1), { status: 200, json: { status: 'duplicate' } });
  t.same((await post(url, frame(payload({ scalars: [10, 8] }), 100, 2))).status, 200);
  const text = await metrics(url);
  t.match(text, /reqs_total\{path="\/a"\} 8\n/);
  t.match(text, /temp\{instance="a1"\} 20 \d+\n/);
  // An older batch arriving late does not undo the newer cumulative value.
  t.same((await post(url, frame(payload({ scalars: [10, 6] }), 100, 3))).status, 200);
  t.same((await post(url, frame(payload({ scalars: [10, 7] }), 100, 2))).json, { status: 'duplicate' });
  t.match(await metrics(url), /reqs_total\{path="\/a"\} 14\n/, 'a decrease within an epoch is a reset: 8, then 6 counted from zero');
});

t.test('counters sum across agents and survive an agent restart (new epoch) and an aggregator restart', async (t) => {
  const dir = tmpDir(t);
  let agg: Aggregator = await startAggregator(dir);
  const url1 = agg.url();
  await post(url1, frame(payload({ agentId: 'a1', ...counterDefs, scalars: [10, 100] }), 100, 1));
  await post(url1, frame(payload({ agentId: 'a2', ...counterDefs, scalars: [10, 50] }), 200, 1));
  t.match(await metrics(url1), /reqs_total\{path="\/a"\} 150\n/);
  // Agent a1 restarts: its counter starts again from zero.
  await post(url1, frame(payload({ agentId: 'a1', ...counterDefs, scalars: [10, 3] }), 101, 1));
  t.match(await metrics(url1), /reqs_total\{path="\/a"\} 153\n/);
  await agg.stop();

  agg = await startAggregator(dir);
  t.teardown(() => agg.stop());
  const url = agg.url();
  t.match(await metrics(url), /reqs_total\{path="\/a"\} 153\n/, 'totals restored from the state directory');
  // The replay of an applied batch after the restart is still a duplicate.
  t.same((await post(url, frame(payload({ agentId: 'a1', scalars: [10, 3] }), 101, 1))).json, { status: 'duplicate' });
  // The interning table is gone: ids alone get a 409 with the missing ids.
  const r = await post(url, frame(payload({ agentId: 'a1', scalars: [10, 9] }), 101, 2));
  t.equal(r.status, 409);
  t.same(r.json.code, 'OUTRIDER_ERR_AGG_UNKNOWN_SERIES');
  t.same(r.json.missing, [10]);
  t.same((await post(url, frame(payload({ agentId: 'a1', ...counterDefs }), 101, 0, FrameKind.defs))).json, { status: 'ok' });
  t.same((await post(url, frame(payload({ agentId: 'a1', scalars: [10, 9] }), 101, 2))).json, { status: 'applied' });
  t.match(await metrics(url), /reqs_total\{path="\/a"\} 159\n/);
  const agents = (await (await fetch(url + '/api/v1/agents')).json()) as { agents: Array<{ agent_id: string }> };
  t.same(agents.agents.map((a) => a.agent_id).sort(), ['a1', 'a2']);
});

t.test('histograms merge fleet-wide; summaries stay per agent', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const defs = {
    families: [
      { fid: 1, name: 'lat', type: 'histogram' as const, help: '' },
      { fid: 2, name: 'q', type: 'summary' as const, help: '' },
    ],
    series: [
      { sid: 1, fid: 1, labels: [] },
      { sid: 2, fid: 2, labels: [] },
    ],
  };
  for (const [agent, n] of [
    ['a1', 1],
    ['a2', 2],
  ] as const) {
    const dists = [
      { sid: 1, count: 4 * n, sum: 2 * n, buckets: [0.1, 1 * n, 1, 3 * n, Infinity, 4 * n], quantiles: null, sketch: null },
      { sid: 2, count: n, sum: n, buckets: null, quantiles: [0.5, n], sketch: null },
    ];
    t.equal((await post(agg.url(), frame(payload({ agentId: agent, ...defs, dists }), 1, 1))).status, 200);
  }
  const text = await metrics(agg.url());
  t.match(text, /lat_bucket\{le="1"\} 9\n/);
  t.match(text, /lat_count 12\n/);
  t.match(text, /q\{instance="a2",quantile="0.5"\} 2 \d+\n/);
});

t.test('malformed, truncated, oversized, corrupted and unauthenticated requests are refused clearly', async (t) => {
  const agg = await startAggregator(tmpDir(t), { tokens: ['s3cret'], maxBodyBytes: 64 * 1024, maxDecompressedBytes: 256 * 1024 });
  t.teardown(() => agg.stop());
  const url = agg.url();
  const auth = { authorization: 'Bearer s3cret' };
  const good = frame(payload({ ...counterDefs, scalars: [10, 1] }), 1, 1);
  t.equal((await post(url, good)).status, 401, 'no token');
  t.equal((await post(url, good, { authorization: 'Bearer wrong' })).status, 401, 'wrong token');
  t.equal((await fetch(url + '/api/v1/agents')).status, 401);
  let r = await post(url, Buffer.from('hello world'), auth);
  t.same([r.status, r.json.code], [400, 'OUTRIDER_ERR_AGG_BAD_FRAME']);
  r = await post(url, good.subarray(0, good.length - 3), auth);
  t.same([r.status, r.json.code], [400, 'OUTRIDER_ERR_AGG_BAD_FRAME'], 'truncated');
  const flipped = Buffer.from(good);
  flipped[flipped.length - 1] ^= 1;
  r = await post(url, flipped, auth);
  t.same([r.status, r.json.code], [400, 'OUTRIDER_ERR_AGG_BAD_CHECKSUM']);
  r = await post(url, encodeFrame(FrameKind.batch, Codec.none, 1, 1, Buffer.from([0x93, 1, 2])), auth);
  t.same([r.status, r.json.code], [400, 'OUTRIDER_ERR_AGG_BAD_PAYLOAD']);
  r = await post(url, encodeFrame(FrameKind.batch, Codec.gzip, 1, 1, Buffer.from('not gzip')), auth);
  t.same([r.status, r.json.code], [400, 'OUTRIDER_ERR_AGG_BAD_PAYLOAD']);
  r = await post(url, encodeFrame(FrameKind.batch, Codec.gzip, 1, 1, zlib.gzipSync(Buffer.alloc(10 << 20))), auth);
  t.same([r.status, r.json.code], [413, 'OUTRIDER_ERR_AGG_TOO_LARGE'], 'decompression bomb');
  r = await post(url, Buffer.alloc(100 * 1024), auth);
  t.equal(r.status, 413, 'body limit');
  t.same((await post(url, good, auth)).json, { status: 'applied' }, 'a good batch still goes through');
  // Telemetry is copied into the served store once a second.
  let text = '';
  for (let i = 0; i < 50 && !/result="malformed"\} 5/.test(text); i++) {
    await new Promise((r) => setTimeout(r, 100));
    text = await (await fetch(url + '/metrics', { headers: auth })).text();
  }
  t.match(text, /outrider_aggregator_requests_total\{result="malformed"\} 5/);
  t.match(text, /outrider_aggregator_requests_total\{result="unauthorized"\} 2/);
  t.match(text, /outrider_aggregator_read_refusals_total 1\n/, 'the fleet API without a token');
});

t.test('refuses a non-loopback address without tokens', async (t) => {
  t.throws(() => new Aggregator(aggOptions(tmpDir(t), { listen: '0.0.0.0:0' })), { code: 'OUTRIDER_ERR_AGG_NO_TOKENS' });
});

t.test('a merged series removed from the store is written again by labels on the next change', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  await post(url, frame(payload({ ...counterDefs, scalars: [10, 5, 11, 20] }), 1, 1));
  t.match(await metrics(url), /temp\{instance="a1"\} 20 \d+\n/);
  for (const name of ['temp', 'reqs_total']) for (const s of [...agg.store.getFamily(name)!.series.values()]) agg.store.remove(s);
  t.notMatch(await metrics(url), /temp\{/);
  await post(url, frame(payload({ scalars: [10, 6, 11, 21] }), 1, 2));
  const text = await metrics(url);
  t.match(text, /temp\{instance="a1"\} 21 \d+\n/, 'the stale handle is not written to; the series comes back');
  t.match(text, /reqs_total\{path="\/a"\} 6\n/);
});

t.test('a new epoch is a reset only for families that restart with the agent', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  const defs = {
    families: [
      { fid: 1, name: 'pushed_total', type: 'counter' as const, help: '', restartsWithAgent: true },
      { fid: 2, name: 'node_ctx_total', type: 'counter' as const, help: '' },
      { fid: 3, name: 'lat', type: 'histogram' as const, help: '', restartsWithAgent: true },
    ],
    series: [
      { sid: 1, fid: 1, labels: [] },
      { sid: 2, fid: 2, labels: [] },
      { sid: 3, fid: 3, labels: [] },
    ],
  };
  const dist = (count: number, sum: number, le1: number) => ({ sid: 3, count, sum, buckets: [1, le1, Infinity, count], quantiles: null, sketch: null });
  t.same((await post(url, frame(payload({ ...defs, scalars: [1, 100, 2, 1000], dists: [dist(10, 5, 4)] }), 100, 1))).json, { status: 'applied' });
  t.same((await post(url, frame(payload({ scalars: [1, 105, 2, 1010], dists: [dist(12, 6, 5)] }), 100, 2))).json, { status: 'applied' });
  // The agent restarts (epoch 101). Before its first flush, the pushed counter already climbed past its old value
  // (120 > 105): all 120 are new. The /proc counter kept counting across the restart (1010 -> 1030): 20 are new.
  t.same((await post(url, frame(payload({ ...defs, scalars: [1, 120, 2, 1030], dists: [dist(20, 9, 8)] }), 101, 1))).json, { status: 'applied' });
  const text = await metrics(url);
  t.match(text, /^pushed_total 225$/m, '105 from the first process + 120 from the second');
  t.match(text, /^node_ctx_total 1030$/m, 'a host counter continues across the agent restart');
  t.match(text, /^lat_count 32$/m, 'histogram count: 12 + 20');
  t.match(text, /^lat_sum 15$/m);
  t.match(text, /^lat_bucket\{le="1"\} 13$/m);
  // Later values of the new epoch are deltas again.
  await post(url, frame(payload({ scalars: [1, 121, 2, 1031] }), 101, 2));
  t.match(await metrics(url), /^pushed_total 226$/m);
});

t.test('the merged store is written when read: batches between two scrapes cost one store write per series', async (t) => {
  const agg = await startAggregator(tmpDir(t), { storeWrites: 'on-read' });
  t.teardown(() => agg.stop());
  const url = agg.url();
  await post(url, frame(payload({ ...counterDefs, scalars: [10, 5, 11, 20] }), 100, 1));
  await post(url, frame(payload({ scalars: [10, 7, 11, 21] }), 100, 2));
  t.equal(agg.store.getFamily('reqs_total'), undefined, 'nothing written before a read');
  const gen = agg.store.generation;
  const series = (await (await fetch(url + '/api/v1/series?match=temp')).json()) as { series: Array<{ value: string }> };
  t.same(
    series.series.map((s) => s.value),
    ['21'],
    '/api/v1/series catches up first',
  );
  t.ok(agg.store.generation > gen);
  const text = await metrics(url);
  t.match(text, /^reqs_total\{path="\/a"\} 7$/m, '/metrics sees the latest values');
  t.match(text, /^temp\{instance="a1"\} 21 \d+$/m);
  const written = [...agg.store.getFamily('reqs_total')!.series.values()][0]!.changedGen;
  await metrics(url);
  t.equal([...agg.store.getFamily('reqs_total')!.series.values()][0]!.changedGen, written, 'a second read with nothing new writes nothing');
});
