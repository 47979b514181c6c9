/** How the StatsD series table writes the store: through store methods, on the change feed, nothing patched. */
import t from 'tap';
import { Store } from '../../../agent/store/store';
import { flush, table as makeTable } from './table';

const table = (ttl = 0) => makeTable({ observerType: 'summary', seriesTtlMs: ttl });

t.test('an idle flush keeps the series alive without a change; the store sweep leaves them', async (t) => {
  let now = 1000;
  const store = new Store({ staleAfterMs: 5_000, now: () => now });
  const tbl = table();
  flush(tbl, store, ['hits:1|c', 'temp:3|g'], now);
  const reader = store.reader();
  reader.next();
  const gen = store.generation;
  for (let i = 0; i < 5; i++) {
    now += 2_000;
    flush(tbl, store, [], now);
  }
  t.equal(store.generation, gen, 'no generation spent on idle flushes');
  t.same(reader.next().series, [], 'nothing on the change feed');
  t.equal(store.sweep(now), 0, 'ten seconds idle, kept alive: not stale');
  t.equal(store.seriesCount, 2);
});

t.test('a timestamped sample with a new timestamp is a change the feed and the render see', async (t) => {
  const store = new Store();
  const tbl = table();
  flush(tbl, store, ['stamp:5|g|T1700000000'], 1000);
  const reader = store.reader();
  reader.next();
  flush(tbl, store, ['stamp:5|g|T1700000010'], 2000);
  const cs = reader.next();
  t.same(
    cs.series.map((s) => [s.family.name, s.value, s.timestampMs]),
    [['stamp', 5, 1700000010000]],
  );
});

t.test('series the table expires leave the store and show as removed on the feed', async (t) => {
  const store = new Store();
  const tbl = table(1_000);
  flush(tbl, store, ['a:1|c', 'b:1|c'], 1000);
  const reader = store.reader();
  reader.next();
  flush(tbl, store, ['a:1|c'], 2500);
  const cs = reader.next();
  t.same(
    cs.removed.map((s) => s.family.name),
    ['b_total'],
  );
  t.same(
    cs.series.map((s) => s.family.name),
    ['a_total'],
  );
  t.equal(store.getFamily('b_total'), undefined);
});
