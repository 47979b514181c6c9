/** The drift monitor over a store: StatsD sketches and cumulative buckets, the windows, events, outputs and bounds. */
import t from 'tap';
import { DriftMonitor, DriftEvent } from '../../agent/analysis/drift/monitor';
import type { DriftOptions } from '../../agent/analysis/drift/options';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { DDSketch } from '../../agent/store/sketch';
import { Store } from '../../agent/store/store';
import type { FamilyDesc } from '../../agent/store/types';

const timer: FamilyDesc = { name: 'req_seconds', help: 'h', type: 'summary' };
const hist: FamilyDesc = { name: 'resp_bytes', help: 'h', type: 'histogram' };

function setup(over: Partial<DriftOptions> = {}) {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const opts: DriftOptions = { enabled: true, intervalMs: 60_000, windowIntervals: 2, minCount: 50, ksThreshold: 0.3, maxSeries: 100, ...over };
  const mon = new DriftMonitor(opts, { store, telemetry, log: silentLogger() });
  const events: DriftEvent[] = [];
  mon.onEvent((e) => events.push(e));
  return { store, telemetry, mon, events };
}

/** One StatsD flush: a fresh interval sketch of `n` values spread evenly over [lo, hi). */
function flush(store: Store, labels: Record<string, string>, lo: number, hi: number, n = 200): void {
  const sk = new DDSketch();
  for (let i = 0; i < n; i++) sk.add(lo + ((hi - lo) * (i + 0.5)) / n);
  store.setDist(timer, labels, { count: sk.count, sum: sk.sum, sketch: sk });
}

function stored(store: Store, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of store.getFamily(name)?.series.values() ?? []) out.set(s.labelText, s.value);
  return out;
}

t.test('sketches: no drift on the same distribution, a start event on a shift, an end event when it settles', async (t) => {
  const { store, mon, events } = setup();
  const svc = { service: 'api' };
  for (let i = 0; i < 4; i++) {
    flush(store, svc, 1, 2);
    mon.evaluate(i);
  }
  t.equal(mon.results.length, 1, 'evaluated once both windows are full');
  t.ok(mon.results[0]!.ks < 0.02, `same distribution: KS ${mon.results[0]!.ks}`);
  t.equal(events.length, 0);
  const ks = stored(store, 'outrider_drift_ks');
  t.same([...ks.keys()], ['{metric="req_seconds",service="api"}'], 'exposed with the series labels and its family');
  // Shift: the current window takes values in [2.5, 3.5): disjoint from the reference, buckets included.
  flush(store, svc, 2.5, 3.5);
  mon.evaluate(10);
  flush(store, svc, 2.5, 3.5);
  mon.evaluate(11);
  const r = mon.results[0]!;
  t.equal(r.ks, 1, 'disjoint windows');
  t.ok(Math.abs(r.wasserstein - 1.5) < 0.03, `W1 is the shift of 1.5 (within the sketch's 1%): ${r.wasserstein}`);
  t.same(
    events.map((e) => [e.state, e.metric, e.labels]),
    [['start', 'req_seconds', svc]],
  );
  t.equal(stored(store, 'outrider_drift_wasserstein').get('{metric="req_seconds",service="api"}'), r.wasserstein);
  // Two more intervals at the new level: both windows hold [2.5, 3.5) and the event ends.
  flush(store, svc, 2.5, 3.5);
  mon.evaluate(12);
  flush(store, svc, 2.5, 3.5);
  mon.evaluate(13);
  t.ok(mon.results[0]!.ks < 0.02);
  t.same(
    events.map((e) => e.state),
    ['start', 'end'],
  );
});

t.test('a keep-alive rewrite of the same sketch is counted once', async (t) => {
  const { store, mon } = setup({ windowIntervals: 1, minCount: 1 });
  const sk = new DDSketch();
  for (let i = 0; i < 100; i++) sk.add(1);
  store.setDist(timer, {}, { count: 100, sum: 100, sketch: sk });
  mon.ingest();
  store.setDist(timer, {}, { count: 100, sum: 100, sketch: sk });
  mon.evaluate(0);
  flush(store, {}, 1, 1.001, 100);
  mon.evaluate(1);
  t.equal(mon.results[0]!.referenceCount, 100);
});

t.test('cumulative buckets: increases per interval, resets start a new baseline', async (t) => {
  const { store, mon } = setup({ windowIntervals: 1, minCount: 10 });
  const write = (b: Array<[number, number]>) => store.setDist(hist, { job: 'x' }, { count: b[b.length - 1]![1], sum: 0, buckets: b });
  write([
    [100, 0],
    [1000, 0],
    [Infinity, 0],
  ]);
  mon.evaluate(0); // baseline only
  write([
    [100, 20],
    [1000, 20],
    [Infinity, 20],
  ]); // 20 at le=100
  mon.evaluate(1);
  write([
    [100, 20],
    [1000, 40],
    [Infinity, 40],
  ]); // 20 in (100, 1000]
  mon.evaluate(2);
  let r = mon.results[0]!;
  t.equal(r.ks, 1, 'all mass moved up a bucket');
  t.equal(r.wasserstein, 900, 'W1 between the bucket bounds');
  t.equal(r.currentCount, 20);
  write([
    [100, 5],
    [1000, 5],
    [Infinity, 5],
  ]); // reset: not counted
  mon.evaluate(3);
  t.equal(mon.results.length, 0, 'the interval after a reset has too few observations');
  write([
    [100, 5],
    [1000, 25],
    [Infinity, 25],
  ]);
  mon.evaluate(4);
  write([
    [100, 5],
    [1000, 45],
    [Infinity, 45],
  ]);
  mon.evaluate(5);
  r = mon.results[0]!;
  t.equal(r.ks, 0);
});

t.test('bounded: series past max_series are skipped and counted; removed series are forgotten', async (t) => {
  const { store, mon, telemetry } = setup({ maxSeries: 2 });
  for (let i = 0; i < 5; i++) flush(store, { i: String(i) }, 1, 2);
  mon.ingest();
  const skipped = await telemetry.registry.getSingleMetricAsString('outrider_drift_skipped_series_total');
  t.match(skipped, /outrider_drift_skipped_series_total 3/);
  const followed = await telemetry.registry.getSingleMetricAsString('outrider_drift_series');
  t.match(followed, /outrider_drift_series 2/);
  for (const s of [...store.getFamily('req_seconds')!.series.values()]) store.remove(s);
  mon.ingest();
  t.match(await telemetry.registry.getSingleMetricAsString('outrider_drift_series'), /outrider_drift_series 0/);
});

t.test('a throwing listener is counted and does not stop the others', async (t) => {
  const { store, mon, telemetry, events } = setup({ windowIntervals: 1 });
  mon.onEvent(() => {
    throw new Error('boom');
  });
  flush(store, {}, 1, 2);
  mon.evaluate(0);
  flush(store, {}, 5, 6);
  mon.evaluate(1);
  t.equal(events.length, 1);
  t.match(await telemetry.registry.getSingleMetricAsString('outrider_drift_listener_errors_total'), /total 1/);
});

t.test('start and stop: distances from the timer, outputs dropped at stop', async (t) => {
  const { store, mon } = setup({ windowIntervals: 1, minCount: 1 });
  await mon.start();
  flush(store, {}, 1, 2);
  mon.evaluate(0);
  flush(store, {}, 1, 2);
  mon.evaluate(1);
  t.equal(stored(store, 'outrider_drift_ks').size, 1);
  await mon.stop();
  t.equal(stored(store, 'outrider_drift_ks').size, 0);
  await mon.stop();
});
