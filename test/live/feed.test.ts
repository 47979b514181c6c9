import t from 'tap';
import { SourceTracker, sourceClassifier } from '../../agent/live/feed';
import { computeRound, Rates, type Round } from '../../agent/live/panels';
import { Store } from '../../agent/store/store';

const sourceOf = sourceClassifier(new Set(['cpu', 'meminfo']));

t.test('owners to sources', async (t) => {
  t.equal(sourceOf('cpu', 'node_cpu_seconds_total'), 'host');
  t.equal(sourceOf('scrape:app:http://x/metrics', 'up'), 'scrape');
  t.equal(sourceOf('outrider', 'outrider_build_info'), 'agent');
  t.equal(sourceOf('rules', 'job:rate5m'), 'rules');
  t.equal(sourceOf(undefined, 'checkout_total'), 'statsd/otlp/push');
  t.equal(sourceOf(undefined, 'node_scrape_collector_success'), 'host');
});

t.test('series by source, updates per second, the busiest series; removals counted', async (t) => {
  const store = new Store();
  const c = { name: 'checkout_total', help: 'x', type: 'counter' as const };
  store.replaceOwned(
    'cpu',
    [
      {
        name: 'node_cpu_seconds_total',
        help: 'x',
        type: 'counter',
        samples: [
          { labels: { cpu: '0' }, value: 1 },
          { labels: { cpu: '1' }, value: 1 },
        ],
      },
    ],
    1000,
  );
  for (let i = 0; i < 3; i++) store.set(c, { i: String(i) }, 10, 1000);
  const tr = new SourceTracker(store, sourceOf);
  const first = tr.step(1000);
  t.same(first.cardinality, { host: 2, 'statsd/otlp/push': 3 });
  t.same(first.updates, { host: null, 'statsd/otlp/push': null }, 'no rate on the first read (a resync)');
  store.set(c, { i: '0' }, 20, 1500);
  let r = tr.step(2000);
  t.same(r.updates, { host: 0, 'statsd/otlp/push': 1 });
  store.set(c, { i: '0' }, 40, 2500);
  r = tr.step(3000);
  t.same(r.top, { 'checkout_total{i="0"} /s': 20 }, 'a counter by its rate');
  t.same(r.topFamilies['statsd/otlp/push'], [['checkout_total', 3]]);
  store.remove(store.getFamily('checkout_total')!.series.values().next().value!);
  for (let i = 0; i < 5; i++) r = tr.step(4000 + i * 1000);
  t.equal(r.cardinality['statsd/otlp/push'], 2, 'a removed series leaves the count');
});

t.test('rates: a counter reset gives no rate, an unchanged value keeps the last rate', async (t) => {
  const rates = new Rates();
  const round = (tMs: number, v: number): Round => ({ tMs, get: (n) => (n === 'node_disk_read_bytes_total' ? [{ labels: { device: 'sda' }, value: v, tMs }] : []), prefixed: () => [] });
  t.equal(computeRound(round(1000, 100), rates).disk!.read, null);
  t.equal(computeRound(round(2000, 300), rates).disk!.read, 200);
  t.equal(computeRound(round(3000, 50), rates).disk!.read, null, 'reset');
  t.equal(computeRound(round(4000, 150), rates).disk!.read, 100);
});
