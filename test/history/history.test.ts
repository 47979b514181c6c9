import fc from 'fast-check';
import t from 'tap';
import { LocalHistory } from '../../agent/history/history';
import { isStaleNaN, LabelMatcher } from '../../agent/history/types';
import { Store } from '../../agent/store/store';

const gauge = { name: 'temp', help: 'h', type: 'gauge' as const };
const hist = (o: Partial<ConstructorParameters<typeof LocalHistory>[0]> = {}) => new LocalHistory({ stepMs: 1000, retentionMs: 3_600_000, maxSeries: 1000, maxBytes: 64 << 20, ...o });
const name = (v: string): LabelMatcher => ({ name: '__name__', type: '=', value: v });

t.test('samples every series each round, expanded as a scrape sees it', async (t) => {
  const store = new Store();
  store.set(gauge, { room: 'a' }, 21);
  store.set({ name: 'reqs_total', help: 'h', type: 'counter' }, {}, 5);
  store.setDist(
    { name: 'lat', help: 'h', type: 'histogram' },
    { op: 'get' },
    {
      count: 3,
      sum: 0.6,
      buckets: [
        [0.1, 1],
        [1, 3],
      ],
    },
  );
  store.setDist({ name: 'size', help: 'h', type: 'summary' }, {}, { count: 2, sum: 10, quantiles: [[0.5, 4]] });
  const h = hist();
  h.sample(store, 1000);
  h.sample(store, 2000);
  const all = h.select([{ name: '__name__', type: '=~', value: '.+' }], 0, 10_000);
  t.same(
    all.map((s) => s.labels),
    [
      { __name__: 'lat_bucket', le: '+Inf', op: 'get' },
      { __name__: 'lat_bucket', le: '0.1', op: 'get' },
      { __name__: 'lat_bucket', le: '1', op: 'get' },
      { __name__: 'lat_count', op: 'get' },
      { __name__: 'lat_sum', op: 'get' },
      { __name__: 'reqs_total' },
      { __name__: 'size', quantile: '0.5' },
      { __name__: 'size_count' },
      { __name__: 'size_sum' },
      { __name__: 'temp', room: 'a' },
    ],
    'sorted by label set',
  );
  const temp = h.select([name('temp')], 0, 10_000)[0]!;
  t.same([...temp.timestampsMs], [1000, 2000]);
  t.same([...temp.values], [21, 21], 'an unchanged value is sampled each round');
  t.same([...h.select([name('lat_bucket'), { name: 'le', type: '=', value: '1' }], 0, 10_000)[0]!.values], [3, 3]);
  t.equal(h.oldestMs(), 1000);
  t.equal(h.newestMs(), 2000);
});

t.test('select: the four matchers, anchored regular expressions, empty-matcher semantics', async (t) => {
  const store = new Store();
  store.set(gauge, { room: 'a' }, 1);
  store.set(gauge, { room: 'b' }, 2);
  store.set(gauge, { room: 'ab' }, 3);
  store.set(gauge, {}, 4);
  const h = hist();
  h.sample(store, 1000);
  const rooms = (m: LabelMatcher[]) => h.select([name('temp'), ...m], 0, 2000).map((s) => s.labels.room ?? '-');
  t.same(rooms([{ name: 'room', type: '=', value: 'a' }]), ['a']);
  t.same(rooms([{ name: 'room', type: '!=', value: 'a' }]), ['-', 'ab', 'b'], '!= keeps series without the label');
  t.same(rooms([{ name: 'room', type: '=~', value: 'a' }]), ['a'], 'fully anchored');
  t.same(rooms([{ name: 'room', type: '=~', value: 'a.*' }]), ['a', 'ab']);
  t.same(rooms([{ name: 'room', type: '!~', value: 'a.*' }]), ['-', 'b']);
  t.same(rooms([{ name: 'room', type: '=', value: '' }]), ['-'], '="" selects series without the label');
  t.same(rooms([{ name: 'room', type: '=~', value: 'b|' }]), ['-', 'b'], 'a regexp matching "" also selects series without the label');
  t.same(rooms([{ name: 'room', type: '!=', value: '' }]), ['a', 'ab', 'b']);
  t.same(h.select([{ name: 'room', type: '=~', value: 'a.*' }], 0, 2000).length, 2, 'no name matcher at all');
  t.throws(() => h.select([{ name: 'room', type: '=~', value: '.*' }], 0, 2000), { code: 'OUTRIDER_ERR_HISTORY_SELECTOR' }, 'every matcher matches ""');
  t.throws(() => h.select([], 0, 2000), { code: 'OUTRIDER_ERR_HISTORY_SELECTOR' });
  t.throws(() => h.select([{ name: 'room', type: '=~', value: '(' }], 0, 2000), { code: 'OUTRIDER_ERR_HISTORY_MATCHER' });
});

t.test('window bounds are inclusive and exact', async (t) => {
  const store = new Store();
  const h = hist();
  for (let i = 1; i <= 10; i++) {
    store.set(gauge, {}, i);
    h.sample(store, i * 1000);
  }
  const ts = (a: number, b: number) => [...(h.select([name('temp')], a, b)[0]?.timestampsMs ?? [])];
  t.same(ts(3000, 5000), [3000, 4000, 5000]);
  t.same(ts(2500, 5500), [3000, 4000, 5000]);
  t.same(ts(5000, 5000), [5000]);
  t.same(ts(5200, 5800), [], 'between two rounds');
  t.same(ts(-Infinity, 1000), [1000]);
  t.same(ts(10_000, Infinity), [10_000]);
  t.same(ts(6000, 5000), [], 'end before start');
  t.same(h.labelNames(5200, 5800), [], 'no series has a sample between two rounds');
  t.same(h.labelNames(5000, 5800), ['__name__']);
});

t.test('a series that leaves the store gets one staleness marker; one that comes back starts again', async (t) => {
  const store = new Store();
  const h = hist();
  const s = store.set(gauge, { room: 'a' }, 1)!;
  h.sample(store, 1000);
  h.sample(store, 2000);
  store.remove(s);
  h.sample(store, 3000);
  h.sample(store, 4000);
  store.set(gauge, { room: 'a' }, 7);
  h.sample(store, 5000);
  const got = h.select([name('temp')], 0, 10_000)[0]!;
  t.same([...got.timestampsMs], [1000, 2000, 3000, 5000]);
  t.equal(got.values[0], 1);
  t.ok(isStaleNaN(got.values[2]!), 'marker at the first round without the series');
  t.equal(got.values[3], 7);
  t.same(h.labelValues('room', 3500, 4500), [], 'nothing in the gap');
});

t.test('timestamps with large gaps and any values round-trip through the history', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 10_000_000_000 }), fc.oneof(fc.double(), fc.constant(Infinity), fc.constant(-Infinity))), { minLength: 1, maxLength: 300 }), (steps) => {
      const store = new Store();
      const h = hist({ retentionMs: 1e13, stepMs: 1e10, maxBytes: 1 << 30 });
      let tMs = 1_700_000_000_000;
      const times: number[] = [];
      const values: number[] = [];
      for (const [gap, v] of steps) {
        tMs += gap;
        store.set(gauge, {}, v);
        h.sample(store, tMs);
        times.push(tMs);
        values.push(v);
      }
      const got = h.select([name('temp')], -Infinity, Infinity)[0]!;
      return got.timestampsMs.length === times.length && times.every((x, i) => got.timestampsMs[i] === x) && values.every((v, i) => Object.is(got.values[i], v));
    }),
    { numRuns: 100 },
  );
  t.pass('round trip');
});

t.test('a round not after the previous one is skipped and counted', async (t) => {
  const store = new Store();
  store.set(gauge, {}, 1);
  const h = hist();
  t.ok(h.sample(store, 2000));
  t.notOk(h.sample(store, 2000));
  t.notOk(h.sample(store, 1000));
  t.equal(h.skippedRounds, 2);
  t.same([...h.select([name('temp')], 0, 5000)[0]!.timestampsMs], [2000]);
});

t.test('subscribers hear each round', async (t) => {
  const store = new Store();
  const h = hist();
  const heard: number[] = [];
  const off = h.subscribe((tMs) => heard.push(tMs));
  h.sample(store, 1000);
  off();
  h.sample(store, 2000);
  t.same(heard, [1000]);
});
