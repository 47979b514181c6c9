import fc from 'fast-check';
import t from 'tap';
import { LocalHistory, StoreView } from '../../agent/history/history';
import type { LabelMatcher } from '../../agent/history/types';
import { Store } from '../../agent/store/store';

const gauge = { name: 'temp', help: 'h', type: 'gauge' as const };
const lat = { name: 'lat', help: 'h', type: 'histogram' as const };
// Expands to lat_sum{room=...}: the same label set as a series of the histogram above.
const latSum = { name: 'lat_sum', help: 'h', type: 'gauge' as const };
const all: LabelMatcher[] = [{ name: '__name__', type: '=~', value: '.+' }];
const opts = { stepMs: 1000, retentionMs: 40_000, maxSeries: 1000, maxBytes: 64 << 20 };

/** The store without its change feed: every round reads every series. */
const whole = (store: Store): StoreView => ({ families: () => store.families() });

/** Everything a reader sees: label sets, times and values by their bits. */
function contents(h: LocalHistory): string {
  return JSON.stringify(h.select(all, -Infinity, Infinity).map((s) => [s.labels, [...s.timestampsMs], [...new Uint32Array(s.values.buffer, s.values.byteOffset, s.values.length * 2)]]));
}

t.test('a round reads only the series the store changed, and the unchanged ones repeat their value', async (t) => {
  const store = new Store();
  let reads = 0;
  const view: StoreView = {
    families: () => {
      reads++;
      return store.families();
    },
    changesSince: (since) => store.changesSince(since),
  };
  const h = new LocalHistory(opts);
  store.set(gauge, { room: 'a' }, 1);
  store.set(gauge, { room: 'b' }, 2);
  for (let r = 1; r <= 25; r++) {
    if (r === 12) store.set(gauge, { room: 'b' }, 3);
    h.sample(view, r * 1000);
  }
  t.equal(reads, 1, 'the store read whole once, on the first round');
  const [a, b] = h.select([{ name: '__name__', type: '=', value: 'temp' }], 0, Infinity);
  t.same([...a!.values], Array(25).fill(1));
  t.same([...b!.values], [...Array(11).fill(2), ...Array(14).fill(3)]);
  t.same(
    [...a!.timestampsMs],
    Array.from({ length: 25 }, (_, i) => (i + 1) * 1000),
  );
  t.equal(h.samples, 50, 'a repeated value counts as a sample');
});

t.test('reading only changes gives what reading the whole store gives', async (t) => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('set' as const), room: fc.integer({ min: 0, max: 5 }), v: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(-0), fc.constant(NaN)) }),
    fc.record({ k: fc.constant('hist' as const), room: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: 0, max: 3 }), c: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ k: fc.constant('clash' as const), room: fc.integer({ min: 0, max: 2 }), v: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ k: fc.constant('remove' as const), room: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ k: fc.constant('round' as const), n: fc.integer({ min: 1, max: 15 }), read: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), fc.constantFrom(1000, 8), fc.constantFrom(64 << 20, 4000, 1500), fc.constantFrom(16_384, 1), (ops, maxSeries, maxBytes, removalLogSize) => {
      const store = new Store({ removalLogSize });
      const changed = new LocalHistory({ ...opts, maxSeries, maxBytes });
      const wholeRounds = new LocalHistory({ ...opts, maxSeries, maxBytes });
      let tMs = 0;
      for (const o of ops) {
        if (o.k === 'set') store.set(gauge, { room: String(o.room) }, o.v);
        else if (o.k === 'hist') {
          const buckets: [number, number][] = Array.from({ length: o.n }, (_, i) => [i + 1, o.c]);
          store.setDist(lat, { room: String(o.room) }, { count: o.c, sum: o.c / 2, buckets });
        } else if (o.k === 'clash') store.set(latSum, { room: String(o.room) }, o.v);
        else if (o.k === 'remove') {
          for (const fam of [...store.families()]) for (const s of [...fam.series.values()]) if (s.labels.room === String(o.room)) store.remove(s);
        } else {
          for (let i = 0; i < o.n; i++) {
            tMs += 1000;
            changed.sample(store, tMs);
            wholeRounds.sample(whole(store), tMs);
          }
          if (o.read && contents(changed) !== contents(wholeRounds)) return false;
        }
      }
      return contents(changed) === contents(wholeRounds) && changed.samples === wholeRounds.samples && changed.bytes === wholeRounds.bytes && changed.seriesCount === wholeRounds.seriesCount;
    }),
    { numRuns: 400 },
  );
  t.pass('same contents');
});

t.test('a read between rounds sees the repeats, and chunks seal on the round they fill', async (t) => {
  const store = new Store();
  store.set(gauge, { room: 'a' }, 5);
  const h = new LocalHistory(opts);
  t.equal(h.samplesPerChunk, 10);
  for (let r = 1; r <= 35; r++) {
    h.sample(store, r * 1000);
    if (r % 7 === 0) t.equal(h.select(all, 0, Infinity)[0]!.values.length, r, `all ${r} rounds read after round ${r}`);
  }
  const snap = h.snapshot();
  t.same(
    snap.series[0]!.chunks.map((c) => [c.firstRound, c.count]),
    [
      [0, 10],
      [10, 10],
      [20, 10],
      [30, 5],
    ],
    'chunks of samplesPerChunk rounds',
  );
  store.set(gauge, { room: 'a' }, 6);
  for (let r = 36; r <= 60; r++) h.sample(store, r * 1000);
  const v = h.select(all, 0, Infinity)[0]!.values;
  t.equal(v.length, 50, 'from the oldest chunk still inside the retention');
  t.equal(v[v.length - 1], 6);
});
