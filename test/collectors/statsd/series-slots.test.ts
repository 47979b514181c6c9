/** The series table's slots: reused after expiry without leaking state, and a series the store dropped comes back. */
import t from 'tap';
import { Store } from '../../../agent/store/store';
import { flush, table } from './table';

const only = (store: Store, family: string) => [...(store.getFamily(family)?.series.values() ?? [])];

t.test('a slot freed by expiry starts clean for the next series (no value, sketch, timestamp or raw key left)', async (t) => {
  const store = new Store();
  const tbl = table({ seriesTtlMs: 1_000, observerType: 'summary' });
  flush(tbl, store, ['old:7|c|#k:a', 'lat:5|ms', 'stamp:3|g|T1700000000'], 1000);
  t.equal(tbl.size, 3);
  // All three expire; three new series take their slots.
  flush(tbl, store, [], 3000);
  t.equal(tbl.size, 0);
  t.equal(store.seriesCount, 0);
  flush(tbl, store, ['fresh:2|c|#k:b', 'plain:4|g', 'set:x|s'], 3100);
  t.equal(tbl.size, 3);
  t.same(
    only(store, 'fresh_total').map((s) => [s.labels, s.value, s.dist, s.timestampMs]),
    [[{ k: 'b' }, 2, undefined, undefined]],
  );
  t.same(
    only(store, 'plain').map((s) => [s.value, s.dist, s.timestampMs]),
    [[4, undefined, undefined]],
  );
  t.same(
    only(store, 'set').map((s) => s.value),
    [1],
  );
  // The expired raw keys are gone: the old names come back as new series starting from zero.
  flush(tbl, store, ['old:1|c|#k:a'], 3200);
  t.same(
    only(store, 'old_total').map((s) => s.value),
    [1],
  );
  t.equal(tbl.size, 4);
});

t.test('a series the store swept is written again by label set, with its cumulative value', async (t) => {
  let now = 1000;
  const store = new Store({ staleAfterMs: 500, now: () => now });
  const tbl = table();
  flush(tbl, store, ['hits:5|c|#route:a'], now);
  now += 1000;
  t.equal(store.sweep(now), 1, 'not kept alive between flushes: the store sweeps it');
  t.equal(store.getFamily('hits_total'), undefined);
  flush(tbl, store, ['hits:2|c|#route:a'], now);
  t.same(
    only(store, 'hits_total').map((s) => [s.labels, s.value]),
    [[{ route: 'a' }, 7]],
  );
  // And later flushes write through the new series.
  flush(tbl, store, ['hits:1|c|#route:a'], now + 10);
  t.same(
    only(store, 'hits_total').map((s) => s.value),
    [8],
  );
});

t.test('a series the store refused keeps its labels and is stored once the store has room', async (t) => {
  const store = new Store();
  const tbl = table();
  store.shedding = true;
  flush(tbl, store, ['hits:5|c|#route:a'], 1000);
  t.equal(store.getFamily('hits_total')?.series.size ?? 0, 0, 'refused while shedding');
  store.shedding = false;
  flush(tbl, store, ['hits:1|c|#route:a'], 2000);
  t.same(
    only(store, 'hits_total').map((s) => [s.labels, s.value]),
    [[{ route: 'a' }, 6]],
  );
});
