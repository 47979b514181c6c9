import t from 'tap';
import { counter, gauge, normal, rig } from './fixture';

const T0 = 1_700_000_000_000;

t.test('no look-ahead: changing later points never changes an earlier score, through the component', async (t) => {
  const a = await rig();
  const b = await rig();
  const scoresA: number[] = [];
  const scoresB: number[] = [];
  const flagB: number[] = [];
  for (let i = 0; i < 400; i++) {
    const tMs = T0 + i * 1000;
    a.store.set(gauge, { host: 'x' }, normal(i));
    // b: the same points until 300, then a level shift.
    b.store.set(gauge, { host: 'x' }, i < 300 ? normal(i) : normal(i) + 80);
    a.history.sample(a.store, tMs);
    b.history.sample(b.store, tMs);
    scoresA.push(a.out.value('outrider_anomaly_score', { host: 'x', family: 'test_value' })!);
    scoresB.push(b.out.value('outrider_anomaly_score', { host: 'x', family: 'test_value' })!);
    flagB.push(b.out.value('outrider_anomaly', { host: 'x', family: 'test_value' })!);
  }
  t.equal(a.analysis.rounds, 400);
  t.same(scoresB.slice(0, 300), scoresA.slice(0, 300), 'the scores before the change are identical');
  t.ok(
    scoresA.every((s) => s < 0.5),
    'the unchanged series is never flagged',
  );
  t.ok(scoresB[300]! >= 0.5, `the shift is flagged at its first point (score ${scoresB[300]})`);
  t.equal(flagB[299], 0);
  t.equal(flagB[300], 1, 'in anomaly from the shift on');
  t.equal(a.out.value('outrider_anomaly', { host: 'x', family: 'test_value' }), 0);
  const start = b.events.list().find((e) => e.kind === 'anomaly_start');
  t.ok(start, 'an anomaly_start event');
  t.equal(start?.timeMs, T0 + 300_000);
  t.same(start?.labels, { host: 'x' });
  t.equal(start?.family, 'test_value');
  t.same(a.events.list(), [], 'no events for the unchanged series');
});

t.test('an anomaly ends after clear_points quiet points, with an anomaly_end event', async (t) => {
  const r = await rig({ clearPoints: 20 });
  for (let i = 0; i < 400; i++) {
    r.store.set(gauge, { host: 'x' }, i === 250 ? 1000 : normal(i));
    r.history.sample(r.store, T0 + i * 1000);
  }
  const kinds = r.events.list().map((e) => [e.kind, (e.timeMs - T0) / 1000]);
  t.same(kinds[0], ['anomaly_start', 250]);
  t.equal(kinds[1]?.[0], 'anomaly_end');
  t.ok((kinds[1]?.[1] as number) >= 270, 'not before clear_points quiet points');
  t.equal(r.out.value('outrider_anomaly', { host: 'x' }), 0);
  t.equal(r.out.value('outrider_anomaly_rate', { family: 'test_value' }), 0);
});

t.test('a counter is scored on its rate, not its ever-growing value', async (t) => {
  const r = await rig();
  let v = 0;
  const flaggedAt: number[] = [];
  for (let i = 0; i < 400; i++) {
    v += i < 300 ? 10 + (i % 3) : 60; // a steady rate, then six times it
    r.store.set(counter, { path: '/' }, v);
    r.history.sample(r.store, T0 + i * 1000);
    if (r.out.value('outrider_anomaly', { path: '/' }) === 1 && flaggedAt.length === 0) flaggedAt.push(i);
  }
  t.same(flaggedAt, [300], 'flagged when the rate changes, and not while the value merely grows');
});

t.test('bounded: max_series series followed, the rest counted; top_k series exposed per family; the rate per family and overall', async (t) => {
  const r = await rig({ maxSeries: 5, topK: 3 });
  for (let i = 0; i < 200; i++) {
    for (let k = 0; k < 8; k++) r.store.set(gauge, { k: String(k) }, normal(i + k) + (i === 199 && k < 2 ? 500 : 0));
    r.history.sample(r.store, T0 + i * 1000);
  }
  t.equal(r.out.value('outrider_analysis_series', { family: 'test_value' }), 5);
  t.equal(r.out.samples('outrider_analysis_series_left_out')[0]?.value, 3);
  const top = r.out.samples('outrider_anomaly_score');
  t.equal(top.length, 3, 'top_k score series');
  t.equal(r.out.samples('outrider_anomaly').length, 3, 'top_k flag series');
  const flagged = r.out
    .samples('outrider_anomaly')
    .filter((s) => s.value === 1)
    .map((s) => s.labels['k'])
    .sort();
  t.same(flagged, ['0', '1'], 'the two spiking series are in anomaly');
  t.same(
    top
      .slice(0, 2)
      .map((s) => s.labels['k'])
      .sort(),
    ['0', '1'],
    'and rank first',
  );
  t.equal(r.out.value('outrider_anomaly_rate', { family: 'test_value' }), 2 / 5);
  t.equal(r.out.samples('outrider_anomaly_rate').find((s) => Object.keys(s.labels).length === 0)?.value, 2 / 5, 'overall rate');
});

t.test('a series own `family` label is kept as exported_family', async (t) => {
  const r = await rig();
  r.store.set(gauge, { family: 'mine' }, 1);
  r.history.sample(r.store, T0);
  t.same(r.out.samples('outrider_anomaly_score')[0]?.labels, { exported_family: 'mine', family: 'test_value' });
});

t.test('a series that goes stale is forgotten and frees its place; an anomaly it was in ends', async (t) => {
  const r = await rig({ maxSeries: 1 });
  const s = r.store.set(gauge, { k: 'a' }, 1)!;
  for (let i = 0; i < 200; i++) {
    r.store.set(gauge, { k: 'a' }, i === 199 ? 1000 : normal(i));
    r.history.sample(r.store, T0 + i * 1000);
  }
  t.equal(r.out.value('outrider_anomaly', { k: 'a' }), 1);
  r.store.remove(s);
  r.store.set(gauge, { k: 'b' }, 1);
  r.history.sample(r.store, T0 + 200_000);
  r.store.set(gauge, { k: 'b' }, 1);
  r.history.sample(r.store, T0 + 201_000);
  t.same(
    r.events.list().map((e) => [e.kind, e.labels['k'], e.detail['reason']]),
    [
      ['anomaly_start', 'a', undefined],
      ['anomaly_end', 'a', 'stale'],
    ],
  );
  t.equal(r.out.samples('outrider_anomaly_score').length, 1);
  t.equal(r.out.samples('outrider_anomaly_score')[0]?.labels['k'], 'b', 'the freed place went to the new series');
});

t.test('stop unsubscribes and removes the outputs', async (t) => {
  const r = await rig();
  r.store.set(gauge, {}, 1);
  r.history.sample(r.store, T0);
  t.equal(r.analysis.rounds, 1);
  await r.analysis.stop();
  r.history.sample(r.store, T0 + 1000);
  t.equal(r.analysis.rounds, 1, 'no round after stop');
  t.same(r.out.last, []);
});

t.test('analysis.interval batches the rounds: the same scores and events, later', async (t) => {
  const every = await rig();
  const batched = await rig({ intervalMs: 7000 });
  for (let i = 0; i < 400; i++) {
    for (const r of [every, batched]) {
      r.store.set(gauge, { host: 'x' }, i < 300 ? normal(i) : normal(i) + 80);
      r.history.sample(r.store, T0 + i * 1000);
    }
    if (i % 7 === 0) t.equal(batched.out.value('outrider_anomaly_score', { host: 'x' }), every.out.value('outrider_anomaly_score', { host: 'x' }), `round ${i}`);
  }
  t.same(
    batched.events.list(),
    every.events.list().filter((e) => e.timeMs <= T0 + 399_000 - (399 % 7) * 1000),
  );
  t.ok(every.events.list().length > 0);
});
