import t from 'tap';
import { AppPicker, isApplicationFamily, PICK_INTERVAL_MS } from '../../agent/analysis/app-picks';
import { LocalHistory } from '../../agent/history/history';
import { labelKey, Store } from '../../agent/store/store';
import { normal, rig } from './fixture';

const T0 = 1_700_000_000_000;
const app = { name: 'app_requests_total', help: 'h', type: 'counter' as const };
const lat = { name: 'app_latency_seconds', help: 'h', type: 'gauge' as const };
const load = { name: 'node_load1', help: 'h', type: 'gauge' as const };

t.test('application families: not the host, the pod, the agent or synthetic series', async (t) => {
  t.same(
    ['node_load1', 'container_cpu_usage_seconds_total', 'outrider_anomaly', 'up', 'ALERTS', 'process_cpu_seconds_total', 'checkout_total', 'http_request_duration_seconds_bucket'].map(
      isApplicationFamily,
    ),
    [false, false, false, false, false, false, true, true],
  );
});

t.test('the picker takes the k application series that changed most often, never constant ones, bounded', async (t) => {
  const store = new Store();
  const h = new LocalHistory({ stepMs: 1000, retentionMs: 600_000, maxSeries: 1000, maxBytes: 1 << 24 });
  for (let i = 0; i < 100; i++) {
    store.set(app, { route: 'busy' }, i * 3);
    store.set(app, { route: 'half' }, Math.floor(i / 2));
    store.set(app, { route: 'idle' }, 7);
    store.set(lat, { route: 'busy' }, i % 3 === 0 ? 0.1 : 0.2);
    store.set(load, {}, i);
    store.set({ name: 'configured', help: 'h', type: 'gauge' }, {}, i);
    h.sample(store, T0 + i * 1000);
  }
  const picker = new AppPicker(2);
  const picks = picker.picks(h, T0 + 99_000, new Set(['configured']));
  t.same(
    [...picks].map(([f, keys]) => [f, [...keys]]).sort(),
    [
      ['app_latency_seconds', [labelKey({ __name__: 'app_latency_seconds', route: 'busy' })]],
      ['app_requests_total', [labelKey({ __name__: 'app_requests_total', route: 'busy' })]],
    ],
    'busy requests (99 changes) and the latency gauge (66); half (49) is third; node_ and configured ones left out',
  );
  const three = new AppPicker(10).picks(h, T0 + 99_000, new Set());
  t.same(
    [...three.get('app_requests_total')!].sort(),
    [labelKey({ __name__: 'app_requests_total', route: 'busy' }), labelKey({ __name__: 'app_requests_total', route: 'half' })],
    'never the constant one, even with room for it',
  );
  t.same([...three.keys()].sort(), ['app_latency_seconds', 'app_requests_total', 'configured']);
  t.equal(picker.picks(h, T0 + 99_000 + PICK_INTERVAL_MS - 1, new Set()), picks, 'recomputed once a minute, not each round');
});

t.test('picked application series are scored through the component, and leave when they stop moving', async (t) => {
  const r = await rig({ appTopK: 1, families: ['test_value'] });
  for (let i = 0; i < 400; i++) {
    // Moves until 330, then flat; the spike at 300 is an anomaly.
    const v = i < 330 ? (i === 300 ? 5000 : 100 + normal(i)) : 100;
    r.store.set(lat, { route: 'busy' }, v);
    r.store.set(lat, { route: 'idle' }, 1);
    r.history.sample(r.store, T0 + i * 1000);
  }
  const starts = r.events.list().filter((e) => e.kind === 'anomaly_start');
  t.same(starts.map((e) => [e.family, e.labels, (e.timeMs - T0) / 1000])[0], ['app_latency_seconds', { route: 'busy' }, 300], 'the spike in the picked series is flagged');
  // (Going flat at 330 is itself a change of behaviour the detector may flag later.)
  const end = r.events.list().find((e) => e.kind === 'anomaly_end');
  t.equal(end?.detail['reason'], 'cleared');
  t.ok(
    r.events.list().every((e) => !(e.labels['route'] === 'idle')),
    'the constant series is never picked',
  );
  // Flat since 330: the pick at 660 s would drop it, but only 400 rounds ran; run on past the window.
  for (let i = 400; i < 700; i++) {
    r.store.set(lat, { route: 'busy' }, 100);
    r.history.sample(r.store, T0 + i * 1000);
  }
  t.equal(
    r.out.samples('outrider_analysis_series').find((s) => s.labels['family'] === 'app_latency_seconds'),
    undefined,
    'no longer followed once it stopped moving',
  );
});
