import t from 'tap';
import { Mapper } from '../../../agent/collectors/statsd/mapping';
import { SeriesTable } from '../../../agent/collectors/statsd/series';
import { labelKey, Store } from '../../../agent/store/store';

t.test('StatsD series carry the pod identity labels; a tag of the same name wins', async (t) => {
  const table = new SeriesTable({
    mapper: new Mapper([]),
    observerType: 'summary',
    quantiles: [0.5],
    buckets: [1],
    maxSeriesPerMetric: 100,
    maxSeries: 100,
    seriesTtlMs: 0,
    extraLabels: { pod: 'web-0', namespace: 'shop' },
  });
  const store = new Store();
  const entry = (tags: string) => ({ type: 'c' as const, name: 'requests', tags, value: 2, relative: false, sketch: undefined, timestamp: 0 });
  table.apply([entry('route:a'), entry('pod:own')], 1000, store);
  table.write(store, 1000);
  const fam = store.getFamily('requests_total')!;
  t.ok(fam.series.get(labelKey({ route: 'a', pod: 'web-0', namespace: 'shop' })), 'identity added');
  t.ok(fam.series.get(labelKey({ pod: 'own', namespace: 'shop' })), 'own tag kept');
  t.equal(fam.series.size, 2);
});
