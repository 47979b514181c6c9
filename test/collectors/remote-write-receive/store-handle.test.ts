// The receiver's handle writes: a series it wrote before is written through the store handle kept in its label-cache
// entry; a handle the store no longer holds, a changed type or help go by labels, and what is stored is the same as
// writing every series by its labels.
import fc from 'fast-check';
import t from 'tap';
import { storeAll } from '../../../agent/collectors/remote-write-receive/index';
import { LabelCache } from '../../../agent/collectors/remote-write-receive/label-cache';
import { receiveV2 } from '../../../agent/collectors/remote-write-receive/receive-decode';
import { encodeRequestV2 } from '../../../agent/report/remote-write/protobuf-v2';
import type { RwSeries } from '../../../agent/report/remote-write/protobuf';
import { Store } from '../../../agent/store/store';

/** Counts the store's by-labels and handle writes. */
function spied(store: Store): { byLabels: number; handle: number; handleMissed: number } {
  const n = { byLabels: 0, handle: 0, handleMissed: 0 };
  const setSample = store.setSample.bind(store);
  const writeHandle = store.writeHandle.bind(store);
  store.setSample = (...a) => (n.byLabels++, setSample(...a));
  store.writeHandle = (...a) => {
    const ok = writeHandle(...a);
    if (ok) n.handle++;
    else n.handleMissed++;
    return ok;
  };
  return n;
}

const series = (v: number, ts: number, meta?: RwSeries['meta']): RwSeries[] =>
  ['a', 'b', 'c'].map(
    (id) =>
      ({
        labels: [
          ['__name__', 'jobs_total'],
          ['id', id],
        ],
        samples: [[v, ts]],
        ...(meta ? { meta } : {}),
      }) as RwSeries,
  );

t.test('a repeated series is written through its handle, with its value and timestamp', async (t) => {
  const store = new Store();
  const n = spied(store);
  const cache = new LabelCache(100);
  const meta = { type: 'counter' as const, help: 'Jobs.' };
  storeAll(store, receiveV2(encodeRequestV2(series(1, 1000, meta)), cache), 5000);
  t.same(n, { byLabels: 3, handle: 0, handleMissed: 0 }, 'new series go by labels');
  t.same(storeAll(store, receiveV2(encodeRequestV2(series(2, 2000, meta)), cache), 6000), { samples: 3, noName: 0, refusedSeries: 0 });
  t.same(n, { byLabels: 3, handle: 3, handleMissed: 0 }, 'repeated series go through their handles');
  const s = store.getFamily('jobs_total')!.series.get('id\u0000b\u0000')!;
  t.same([s.value, s.timestampMs, s.updatedMs], [2, 2000, 6000]);
});

t.test('a removed or swept series is written again by labels, then through its new handle', async (t) => {
  const store = new Store({ staleAfterMs: 1000 });
  const n = spied(store);
  const cache = new LabelCache(100);
  storeAll(store, receiveV2(encodeRequestV2(series(1, 1000)), cache), 5000);
  const fam = store.getFamily('jobs_total')!;
  store.remove(fam.series.get('id\u0000a\u0000')!);
  storeAll(store, receiveV2(encodeRequestV2(series(2, 2000)), cache), 5100);
  t.same(n, { byLabels: 4, handle: 2, handleMissed: 1 }, 'the removed one by labels');
  t.equal(store.getFamily('jobs_total')!.series.get('id\u0000a\u0000')?.value, 2, 'written again');
  t.equal(store.sweep(9000), 3);
  storeAll(store, receiveV2(encodeRequestV2(series(3, 3000)), cache), 9100);
  t.same(n, { byLabels: 7, handle: 2, handleMissed: 4 }, 'swept ones by labels');
  storeAll(store, receiveV2(encodeRequestV2(series(4, 4000)), cache), 9200);
  t.same(n, { byLabels: 7, handle: 5, handleMissed: 4 }, 'then through the refreshed handles');
  t.same(
    [...store.getFamily('jobs_total')!.series.values()].map((s) => [s.value, s.timestampMs]),
    [
      [4, 4000],
      [4, 4000],
      [4, 4000],
    ],
  );
});

t.test('a changed type or help goes by labels (a type conflict is refused and counted)', async (t) => {
  const store = new Store();
  const n = spied(store);
  const cache = new LabelCache(100);
  storeAll(store, receiveV2(encodeRequestV2(series(1, 1000, { type: 'counter', help: 'Jobs.' })), cache), 5000);
  storeAll(store, receiveV2(encodeRequestV2(series(2, 2000, { type: 'counter', help: 'Jobs done.' })), cache), 5000);
  t.same(n, { byLabels: 6, handle: 0, handleMissed: 0 }, 'new help: by labels');
  t.equal(store.getFamily('jobs_total')!.help, 'Jobs done.');
  const got = storeAll(store, receiveV2(encodeRequestV2(series(3, 3000, { type: 'gauge', help: 'Jobs done.' })), cache), 5000);
  t.same(n, { byLabels: 9, handle: 0, handleMissed: 0 }, 'new type: by labels');
  t.same(got, { samples: 0, noName: 0, refusedSeries: 3 });
  t.equal(store.dropped.type_conflict, 3);
  t.equal(store.getFamily('jobs_total')!.series.get('id\u0000a\u0000')!.value, 2, 'the conflicting write is not stored');
  storeAll(store, receiveV2(encodeRequestV2(series(4, 4000, { type: 'gauge', help: 'Jobs done.' })), cache), 5000);
  t.same(n, { byLabels: 12, handle: 0, handleMissed: 0 }, 'no handle was kept from a refused write');
});

t.test("another writer's help on the family sends the write by labels, which sets the receiver's back", async (t) => {
  const store = new Store();
  const n = spied(store);
  const cache = new LabelCache(100);
  const meta = { type: 'counter' as const, help: 'Jobs.' };
  storeAll(store, receiveV2(encodeRequestV2(series(1, 1000, meta)), cache), 5000);
  store.setSample({ name: 'jobs_total', type: 'counter', help: 'Other.' }, { labels: { id: 'z' }, value: 1 }, 5000);
  storeAll(store, receiveV2(encodeRequestV2(series(2, 2000, meta)), cache), 5000);
  t.same(n, { byLabels: 5, handle: 2, handleMissed: 0 }, 'the first by labels sets the help back, the rest by handle');
  t.equal(store.getFamily('jobs_total')!.help, 'Jobs.');
});

type Step =
  | { kind: 'write'; series: Array<{ name: number; id: number; v: number; ts: number; stale: boolean; type: number; help: number }> }
  | { kind: 'remove'; name: number; id: number }
  | { kind: 'sweep' }
  | { kind: 'other'; name: number; help: number };

const NAMES = ['a_total', 'b', 'c_total'];
const TYPES = [undefined, 'counter', 'gauge'] as const;
const HELPS = ['', 'One.', 'Two.'];

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      series: fc.array(
        fc.record({ name: fc.nat(2), id: fc.nat(3), v: fc.oneof(fc.double(), fc.constantFrom(0, 1, -0, NaN)), ts: fc.nat(1e6), stale: fc.boolean(), type: fc.nat(2), help: fc.nat(2) }),
        { maxLength: 12 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), name: fc.nat(2), id: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('other' as const), name: fc.nat(2), help: fc.nat(2) }) },
);

/** Everything a reader sees of a store, series in family and key order. */
function contents(store: Store): unknown {
  return [...store.families()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((f) => [f.name, f.type, f.help, [...f.series.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((s) => [s.key, s.value, s.timestampMs, s.updatedMs, s.changedGen])]);
}

t.test('handle writes store exactly what writes by labels store', async (t) => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 30 }), fc.nat(3), (steps, maxExtra) => {
      let now = 10_000;
      const opts = { staleAfterMs: 3000, maxSeries: 8 + maxExtra, now: () => now };
      const held = new Store(opts);
      const plain = new Store(opts);
      const cache = new LabelCache(6);
      for (const step of steps) {
        now += 1000;
        if (step.kind === 'write') {
          const body = encodeRequestV2(
            step.series.map((s) => {
              const type = TYPES[s.type];
              return {
                labels: [
                  ['__name__', NAMES[s.name]!],
                  ['id', String(s.id)],
                ],
                samples: [[s.v, s.ts]],
                stale: s.stale || undefined,
                meta: type ? { type, help: HELPS[s.help]! } : undefined,
              } as RwSeries;
            }),
          );
          // The reference: a new cache for every request, so no entry (and no handle) is ever seen again.
          const a = storeAll(held, receiveV2(body, cache), now);
          const b = storeAll(plain, receiveV2(body, new LabelCache(100)), now);
          if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`counts ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        } else if (step.kind === 'remove') {
          for (const store of [held, plain]) {
            const s = store.getFamily(NAMES[step.name]!)?.series.get(`id\u0000${step.id}\u0000`);
            if (s) store.remove(s);
          }
        } else if (step.kind === 'sweep') {
          held.sweep(now + 2500);
          plain.sweep(now + 2500);
        } else {
          for (const store of [held, plain]) store.setSample({ name: NAMES[step.name]!, type: 'untyped', help: HELPS[step.help]! }, { labels: { id: 'other' }, value: 1 }, now);
        }
        const [x, y] = [JSON.stringify(contents(held)), JSON.stringify(contents(plain))];
        if (x !== y) throw new Error(`stores differ:\n${x}\n${y}`);
        if (JSON.stringify(held.dropped) !== JSON.stringify(plain.dropped)) throw new Error(`drops ${JSON.stringify(held.dropped)} vs ${JSON.stringify(plain.dropped)}`);
      }
    }),
    { numRuns: 300 },
  );
  t.pass('300 runs of writes, removals, sweeps and other writers agree');
});
