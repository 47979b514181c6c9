/**
 * core/telemetry-writer: the agent's own telemetry written into the store through held handles serves what the
 * snapshot copy served (names, HELP, types, labels, values, buckets); an unchanged series costs no store generation,
 * a changed one is served the next round, and a label set or metric that went takes its series with it.
 */
import t from 'tap';
import { registerContract } from '../../agent/core/contract';
import { Counter } from '../../agent/core/prom-client';
import { Telemetry } from '../../agent/core/telemetry';
import { SELF_OWNER, TelemetryWriter } from '../../agent/core/telemetry-writer';
import { Store } from '../../agent/store/store';

/** Everything a reader of the store sees, in a stable order. */
function dump(store: Store): string[] {
  const out: string[] = [];
  for (const f of store.families())
    for (const s of f.series.values())
      out.push(
        JSON.stringify([
          f.name,
          f.help,
          f.type,
          s.labels,
          s.owner,
          s.dist ? { count: s.dist.count, sum: s.dist.sum, buckets: s.dist.buckets?.map(([b, c]) => [String(b), c]) } : s.value,
          s.restartsWithAgent,
        ]),
      );
  return out.sort();
}

/** A telemetry with one metric of every kind the agent registers (labels, numeric label values, collect callbacks). */
function components(tel: Telemetry): { tick: (i: number) => void } {
  const plain = tel.counter('outrider_test_things_total', 'Things.');
  const byResult = tel.counter('outrider_test_runs', 'Runs, by result (no _total in the registered name).', ['result', 'shard']);
  const level = tel.gauge('outrider_test_level', 'A level.', ['queue']);
  let pulled = 0;
  tel.gauge('outrider_test_pulled', 'Set by its collect callback.', [], function () {
    this.set(pulled);
  });
  const lat = tel.histogram('outrider_test_seconds', 'Latency.', ['path'], [0.1, 1]);
  const bare = tel.histogram('outrider_test_bare_seconds', 'Latency without labels.', [], [0.5]);
  registerContract(tel.registry, () => new Map([['thing', { received: [{ metric: 'outrider_test_things_total' }], sent: [{ metric: 'outrider_test_seconds' }], dropped: [], errors: [] }]]));
  tel.setBuildInfo(true);
  return {
    tick(i) {
      plain.inc(i % 2);
      byResult.inc({ result: i % 3 === 0 ? 'error' : 'success', shard: 7 }, 1);
      level.set({ queue: 'a' }, i % 4);
      if (i % 5 === 4) level.remove({ queue: 'a' });
      pulled = i;
      if (i % 2 === 0) lat.observe({ path: '/metrics' }, i / 10);
      if (i === 3) bare.observe(0.2);
    },
  };
}

t.test('the same families, series and values as the snapshot, round after round', async (t) => {
  const tel = new Telemetry({ runtimeMetrics: false });
  const { tick } = components(tel);
  const byHandles = new Store({ now: () => 1 });
  const bySnapshot = new Store({ now: () => 1 });
  const writer = new TelemetryWriter(tel, byHandles);
  for (let i = 0; i < 12; i++) {
    tick(i);
    await writer.write(1);
    bySnapshot.replaceOwned(SELF_OWNER, await tel.snapshot(), 1);
    t.same(dump(byHandles), dump(bySnapshot), `round ${i}`);
  }
  t.ok(
    dump(byHandles).some((l) => l.includes('"outrider_test_runs_total"') && l.includes('"shard":"7"')),
    'counters get _total, label values are strings',
  );
  t.ok(
    dump(byHandles).some((l) => l.includes('"outrider_test_seconds"') && l.includes('["Infinity",')),
    'histogram buckets end at +Inf',
  );

  tel.registry.removeSingleMetric('outrider_test_level');
  tel.registry.removeSingleMetric('outrider_test_bare_seconds');
  await writer.write(1);
  bySnapshot.replaceOwned(SELF_OWNER, await tel.snapshot(), 1);
  t.same(dump(byHandles), dump(bySnapshot), 'a metric that left the registry took its series');
  t.notOk(byHandles.getFamily('outrider_test_bare_seconds'), 'gone from the store');
});

t.test('with the runtime metrics: the same series as the snapshot, the redundant _total gauges left out', async (t) => {
  const tel = new Telemetry({ runtimeRefreshMs: 0 });
  const byHandles = new Store();
  const bySnapshot = new Store();
  await new TelemetryWriter(tel, byHandles).write();
  bySnapshot.replaceOwned(SELF_OWNER, await tel.snapshot());
  const keys = (s: Store): string[] => [...s.families()].flatMap((f) => [...f.series.values()].map((x) => `${f.name} ${f.type} ${f.help} ${x.labelText}`)).sort();
  t.ok(keys(byHandles).length > 20, `${keys(byHandles).length} runtime series`);
  t.same(keys(byHandles), keys(bySnapshot));
  t.notOk(byHandles.getFamily('nodejs_active_handles_total'));
  t.ok(byHandles.getFamily('process_cpu_user_seconds_total'));
});

t.test('an unchanged series costs no generation; a changed one is served the next round', async (t) => {
  const tel = new Telemetry({ runtimeMetrics: false });
  const c = tel.counter('outrider_test_things_total', 'Things.', ['kind']);
  const h = tel.histogram('outrider_test_seconds', 'Latency.', [], [1]);
  c.inc({ kind: 'a' });
  c.inc({ kind: 'b' });
  let now = 1000;
  const store = new Store({ now: () => now });
  const writer = new TelemetryWriter(tel, store);
  await writer.write(now);
  const a = store.getFamily('outrider_test_things_total')!.series.get(store.getFamily('outrider_test_things_total')!.series.keys().next().value!)!;
  const g0 = store.generation;
  now += 1000;
  await writer.write(now);
  t.equal(store.generation, g0, 'nothing changed: no generation spent');
  t.equal(a.updatedMs, now, 'the unchanged series was kept alive');

  c.inc({ kind: 'b' }, 2);
  now += 1000;
  await writer.write(now);
  t.equal(store.generation, g0 + 1, 'one series changed: one generation');
  const b = [...store.getFamily('outrider_test_things_total')!.series.values()].find((s) => s.labels.kind === 'b')!;
  t.equal(b.value, 3, 'the new value is served');
  t.equal(b.changedGen, store.generation);

  h.observe(0.5);
  now += 1000;
  await writer.write(now);
  const hs = [...store.getFamily('outrider_test_seconds')!.series.values()][0]!;
  t.same(
    hs.dist,
    {
      count: 1,
      sum: 0.5,
      buckets: [
        [1, 1],
        [Infinity, 1],
      ],
    },
    'an observation is served the next round',
  );
  const g1 = store.generation;
  now += 1000;
  await writer.write(now);
  t.equal(store.generation, g1, 'an unchanged histogram costs no generation either');

  c.reset();
  c.inc({ kind: 'a' }, 5);
  now += 1000;
  await writer.write(now);
  const left = [...store.getFamily('outrider_test_things_total')!.series.values()];
  t.same(
    left.map((s) => [s.labels.kind, s.value]),
    [['a', 5]],
    'a label set that left the metric left the store',
  );
});

t.test('a series the store dropped comes back at the next round', async (t) => {
  const tel = new Telemetry({ runtimeMetrics: false });
  tel.gauge('outrider_test_level', 'A level.').set(4);
  let now = 1000;
  const store = new Store({ now: () => now, staleAfterMs: 1000 });
  const writer = new TelemetryWriter(tel, store);
  await writer.write(now);
  const s = [...store.getFamily('outrider_test_level')!.series.values()][0]!;
  store.remove(s);
  t.notOk(store.getFamily('outrider_test_level'));
  await writer.write(now);
  t.equal([...store.getFamily('outrider_test_level')!.series.values()][0]?.value, 4, 'written again, unchanged as it is');
  t.equal([...store.getFamily('outrider_test_level')!.series.values()][0]?.owner, SELF_OWNER);

  now += 5000; // no round for longer than store.stale_after: the sweep expires it
  store.sweep(now);
  t.notOk(store.getFamily('outrider_test_level'), 'expired');
  await writer.write(now);
  t.equal([...store.getFamily('outrider_test_level')!.series.values()][0]?.value, 4, 'an expired series is written again too');
});

t.test('runtime metrics are gathered every refresh and kept alive between', async (t) => {
  let now = 1_000_000;
  const tel = new Telemetry({ runtimeRefreshMs: 5000, now: () => now });
  const store = new Store({ now: () => now, staleAfterMs: 1500 });
  const writer = new TelemetryWriter(tel, store);
  await writer.write();
  const cpu = (): number => [...store.getFamily('process_cpu_user_seconds_total')!.series.values()][0]!.value;
  const cpu0 = cpu();
  const until = process.hrtime.bigint() + 30_000_000n;
  while (process.hrtime.bigint() < until);
  for (let i = 0; i < 4; i++) {
    now += 1000;
    await writer.write();
    t.equal(store.sweep(now), 0, `round ${i}: nothing expired`);
  }
  t.equal(cpu(), cpu0, 'reused within the refresh');
  now += 1000;
  await writer.write();
  t.ok(cpu() > cpu0, 'gathered again once the refresh has passed');
});

/**
 * A counter whose collect callback awaits a turn of the event loop, then adds 1, 2, 3… on successive reads; returns how
 * many reads it has had.
 */
function asyncCounter(tel: Telemetry): () => number {
  let n = 0;
  new Counter({
    name: 'outrider_test_async_total',
    help: 'Counted in an async collect.',
    registers: [tel.registry],
    async collect() {
      await new Promise((r) => setImmediate(r));
      this.inc(++n);
    },
  });
  return () => n;
}

t.test('an async collect callback is awaited before its metric is read', async (t) => {
  const tel = new Telemetry({ runtimeMetrics: false });
  asyncCounter(tel);
  tel.gauge('outrider_test_after', 'Registered after it.').set(2);
  const store = new Store();
  const w = new TelemetryWriter(tel, store);
  const p = w.write();
  t.ok(p instanceof Promise, 'a promise when a collect callback returns one');
  await p;
  t.equal([...store.getFamily('outrider_test_async_total')!.series.values()][0]!.value, 1);
  t.equal([...store.getFamily('outrider_test_after')!.series.values()][0]!.value, 2, 'the metrics after it are written too');
  t.equal(new TelemetryWriter(new Telemetry({ runtimeMetrics: false }), new Store()).write(), undefined, 'synchronous otherwise');
});

t.test('with componentRefreshMs: a component metric is written once that has passed or at a catch-up, kept alive between', async (t) => {
  let now = 1_000_000;
  const tel = new Telemetry({ runtimeRefreshMs: 5000, now: () => now });
  const c = tel.counter('outrider_test_runs_total', 'Runs.', ['collector']);
  let pulled = 0;
  tel.gauge('outrider_test_pulled', 'Set by its collect callback.', [], function () {
    this.set(++pulled);
  });
  c.inc({ collector: 'cpu' });
  const store = new Store({ now: () => now, staleAfterMs: 2000 });
  const w = new TelemetryWriter(tel, store, SELF_OWNER, { componentRefreshMs: 5000 });
  const off = tel.onRead(() => w.catchUp());
  const runs = (): number | undefined => [...(store.getFamily('outrider_test_runs_total')?.series.values() ?? [])][0]?.value;
  const cpu = (): number => [...store.getFamily('process_cpu_user_seconds_total')!.series.values()][0]!.value;
  await w.write();
  t.equal(runs(), 1, 'the first round reads every metric');
  t.equal(pulled, 1);
  const cpu0 = cpu();
  const until = process.hrtime.bigint() + 30_000_000n;
  while (process.hrtime.bigint() < until);
  const g0 = store.generation;
  for (let i = 0; i < 3; i++) {
    c.inc({ collector: 'cpu' });
    now += 1000;
    await w.write();
    t.equal(store.sweep(now), 0, `round ${i}: nothing expired`);
  }
  t.equal(runs(), 1, 'not read between refreshes');
  t.equal(pulled, 1, 'its collect callbacks do not run between refreshes');
  t.equal(store.generation, g0, 'no generation spent between refreshes');

  await tel.beforeRead();
  t.equal(runs(), 4, 'a read catches up: the counter as the registry holds it');
  t.equal(pulled, 2);
  t.equal(cpu(), cpu0, 'the runtime metrics are not gathered again by a catch-up');

  c.inc({ collector: 'cpu' });
  now += 4000;
  await w.write();
  t.equal(runs(), 4, 'the refresh counts from the catch-up');
  now += 1000;
  await w.write();
  t.equal(runs(), 5, 'read again once componentRefreshMs has passed since');
  t.ok(cpu() > cpu0, 'and the runtime metrics once theirs has');

  off();
  c.inc({ collector: 'cpu' });
  await tel.beforeRead();
  t.equal(runs(), 5, 'an unregistered hook runs no more');
});

t.test('a catch-up during a round that awaits a collect callback runs after it', async (t) => {
  const tel = new Telemetry({ runtimeMetrics: false });
  const reads = asyncCounter(tel);
  const store = new Store();
  const w = new TelemetryWriter(tel, store, SELF_OWNER, { componentRefreshMs: 60_000 });
  const first = w.write();
  const caught = w.catchUp();
  t.ok(caught instanceof Promise, 'waits for the round in flight');
  await Promise.all([first, caught]);
  t.equal(reads(), 2, 'then reads again');
  t.equal([...store.getFamily('outrider_test_async_total')!.series.values()][0]!.value, 3, 'what the second read counted');
});

t.test('a read is not failed by a collect callback that throws or rejects: the other hooks run, the store is served', async (t) => {
  const tel = new Telemetry({ runtimeMetrics: false });
  let fail = false;
  tel.gauge('outrider_test_flaky', 'Throws when asked to.', [], function () {
    if (fail) throw new Error('collect failed');
    this.set(1);
  });
  const store = new Store();
  const w = new TelemetryWriter(tel, store, SELF_OWNER, { componentRefreshMs: 5000 });
  tel.onRead(() => w.catchUp());
  let ran = 0;
  tel.onRead(() => void ran++);
  tel.onRead(() => Promise.reject(new Error('async hook failed')));
  w.write();
  fail = true;
  t.throws(() => w.catchUp(), /collect failed/, 'the writer itself reports it');
  await t.resolves(async () => tel.beforeRead(), 'the read goes on');
  t.equal(ran, 1, 'the other hooks ran');
  t.equal([...store.getFamily('outrider_test_flaky')!.series.values()][0]!.value, 1, 'what the store held is served');
});
