import t from 'tap';
import { Store } from '../../../agent/store/store';
import { flush, table } from './table';

t.test('a new table (a reload) continues the store cumulative counters and histograms; gauges are set', async (t) => {
  const store = new Store();
  const first = table();
  flush(first, store, ['hits:5|c|#route:a', 'lat:0.5|h', 'lat:5|h', 'temp:20|g'], 1000);
  t.equal(store.getFamily('hits_total')!.series.values().next().value!.value, 5);
  t.equal(store.getFamily('hits_total')!.restartsWithAgent, true, 'StatsD families restart with the agent');
  // The reload: a new table on the same store. 8 more arrive before its first flush (8 > 5).
  const second = table();
  flush(second, store, ['hits:8|c|#route:a', 'lat:20|h', 'temp:21|g'], 2000);
  t.equal(store.getFamily('hits_total')!.series.values().next().value!.value, 13, 'counter continues: 5 + 8');
  const lat = store.getFamily('lat')!.series.values().next().value!.dist!;
  t.equal(lat.count, 3);
  t.equal(lat.sum, 25.5);
  t.same(
    lat.buckets,
    [
      [1, 1],
      [10, 2],
    ],
    'cumulative buckets continue (+Inf is the count)',
  );
  t.equal(store.getFamily('temp')!.series.values().next().value!.value, 21, 'a gauge is set, not added');
  // Within one table the values keep accumulating as before.
  flush(second, store, ['hits:1|c|#route:a'], 3000);
  t.equal(store.getFamily('hits_total')!.series.values().next().value!.value, 14);
});
