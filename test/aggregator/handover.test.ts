/** Handover: the aggregator an agent moves to takes the acknowledged values as its baseline and counts only the rest. */
import t from 'tap';
import { FrameKind } from '../../agent/wire/frame';
import { counterDefs, frame, payload, post, startAggregator, tmpDir } from './helpers';

const metrics = async (url: string) => (await fetch(url + '/metrics')).text();
const fleet = (text: string, agg: string) => Number(new RegExp(`^reqs_total\\{aggregator="${agg}",path="/a"\\} (\\S+)$`, 'm').exec(text)?.[1]);

t.test('moved with a handover, the new owner counts only what comes after; the two sums add up to what the agent counted', async (t) => {
  const a = await startAggregator(tmpDir(t), { aggregatorId: 'a' });
  const bDir = tmpDir(t);
  const b = await startAggregator(bDir, { aggregatorId: 'b' });
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  const E = 1000;
  // Batches 1-3 acknowledged by A (the counter reaches 30).
  for (let seq = 1; seq <= 3; seq++) await post(a.url(), frame(payload({ ...(seq === 1 ? counterDefs : {}), scalars: [10, seq * 10] }), E, seq));
  // The agent moves to B: the handover first, then batch 4 (40).
  const h = await post(b.url(), frame(payload({ ...counterDefs, meta: { handover: { seq: 3, scalars: [10, 30], dists: [] } } as never }), E, 0, FrameKind.defs));
  t.same(h, { status: 200, json: { status: 'ok' } });
  t.same((await post(b.url(), frame(payload({ scalars: [10, 40] }), E, 4))).json, { status: 'applied' });
  t.equal(fleet(await metrics(a.url()), 'a'), 30);
  t.equal(fleet(await metrics(b.url()), 'b'), 10, 'B counts 40 - 30');
  // A later, older handover changes nothing; the state survives a restart.
  await post(b.url(), frame(payload({ ...counterDefs, meta: { handover: { seq: 2, scalars: [10, 20], dists: [] } } as never }), E, 0, FrameKind.defs));
  await post(b.url(), frame(payload({ scalars: [10, 45] }), E, 5));
  t.equal(fleet(await metrics(b.url()), 'b'), 15);
  await b.stop();
  const b2 = await startAggregator(bDir, { aggregatorId: 'b' });
  t.teardown(() => b2.stop());
  t.equal(fleet(await metrics(b2.url()), 'b'), 15, 'kept across a restart');
});

t.test('without a handover the new owner counts the first value in full (the double count the handover removes)', async (t) => {
  const b = await startAggregator(tmpDir(t), { aggregatorId: 'b' });
  t.teardown(() => b.stop());
  await post(b.url(), frame(payload({ ...counterDefs, scalars: [10, 40] }), 1000, 4));
  t.equal(fleet(await metrics(b.url()), 'b'), 40);
});

t.test('a malformed handover refuses the frame', async (t) => {
  const b = await startAggregator(tmpDir(t));
  t.teardown(() => b.stop());
  for (const bad of [
    { seq: 0, scalars: [], dists: [] },
    { seq: 1, scalars: [10], dists: [] },
    { seq: 1, scalars: ['x', 1], dists: [] },
    { seq: 1, scalars: [], dists: [{ sid: 1, count: NaN, sum: 0 }] },
    'x',
  ]) {
    const r = await post(b.url(), frame(payload({ ...counterDefs, meta: { handover: bad } as never }), 1000, 0, FrameKind.defs));
    t.equal(r.status, 400, JSON.stringify(bad));
    t.equal(r.json.code, 'OUTRIDER_ERR_AGG_BAD_PAYLOAD');
  }
});

t.test('a handover never pairs the new baseline with the timestamp of a batch still waiting for its store write', async (t) => {
  // The store is written when it is read (a scrape, the forward): a batch applied just before the handover waits
  // for that write. The agent series must keep (value, timestamp) pairs the agent sent: the baseline written at the
  // older batch's timestamp reads in the engine as that sample with a higher value, then a counter reset.
  const a = await startAggregator(tmpDir(t), { aggregatorId: 'a', storeWrites: 'on-read' });
  t.teardown(() => a.stop());
  const E = 1000;
  const T = 1_700_000_000_000;
  await post(a.url(), frame(payload({ ...counterDefs, scalars: [10, 10], sentMs: T + 1000 }), E, 1));
  t.match(await metrics(a.url()), /^reqs_total\{instance="a1",path="\/a"\} 10 1700000001000$/m);
  // Batch 2 is applied here (a stalled aggregator resuming), not acknowledged; the agent has moved on and comes back
  // with a handover of what another aggregator acknowledged up to batch 5.
  await post(a.url(), frame(payload({ scalars: [10, 20], sentMs: T + 2000 }), E, 2));
  await post(a.url(), frame(payload({ ...counterDefs, meta: { handover: { seq: 5, scalars: [10, 50], dists: [] } } as never }), E, 0, FrameKind.defs));
  const line = /^reqs_total\{instance="a1",path="\/a"\} (\S+)(?: (\d+))?$/m.exec(await metrics(a.url()));
  t.ok(line, 'the agent series is served');
  const [value, ts] = [Number(line![1]), line![2]];
  t.ok(ts === undefined || (value === 20 && ts === String(T + 2000)), `served ${value} at ${ts ?? 'no timestamp'}: a value the agent sent at that time`);
  t.equal(fleet(await metrics(a.url()), 'a'), 20, 'the fleet sum counts what was applied here');
  await post(a.url(), frame(payload({ scalars: [10, 60], sentMs: T + 6000 }), E, 6));
  t.match(await metrics(a.url()), /^reqs_total\{instance="a1",path="\/a"\} 60 1700000006000$/m, 'the next batch is served with its own timestamp');
  t.equal(fleet(await metrics(a.url()), 'a'), 30, 'and counted from the baseline: 20 + (60 - 50)');
});
