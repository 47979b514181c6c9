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
