import fc from 'fast-check';
import t from 'tap';
import { ByteArena, MAX_REGION_BYTES } from '../../agent/history/byte-arena';
import { LocalHistory } from '../../agent/history/history';
import type { LabelMatcher } from '../../agent/history/types';
import { decodeXor, XorEncoder } from '../../agent/history/xor-chunk';
import { Store } from '../../agent/store/store';

const all: LabelMatcher[] = [{ name: '__name__', type: '=~', value: '.+' }];

t.test('arena regions: sized in 16-byte steps, zeroed when reused, apart from each other, across pages', async (t) => {
  t.equal(ByteArena.regionSize(1), 16);
  t.equal(ByteArena.regionSize(17), 32);
  t.equal(ByteArena.regionSize(MAX_REGION_BYTES), MAX_REGION_BYTES);
  t.equal(ByteArena.regionSize(MAX_REGION_BYTES + 1), 0, 'too large to carve');
  const a = new ByteArena();
  const held: [number, number][] = [];
  // More regions of one size than a page holds, and of other sizes in between: no two overlap.
  for (let i = 0; i < 3000; i++) {
    const size = i % 3 === 0 ? 48 : 16;
    const h = a.alloc(size);
    t.ok(ByteArena.offset(h) + size <= 65536, 'inside its page');
    held.push([h, size]);
  }
  const owner = new Map<string, number>();
  for (const [i, [h, size]] of held.entries()) {
    for (let b = 0; b < size; b++) {
      const k = `${Math.floor(h / 65536)}:${ByteArena.offset(h) + b}`;
      if (owner.has(k)) t.fail(`regions ${owner.get(k)} and ${i} share byte ${k}`);
      owner.set(k, i);
    }
  }
  const [h0, size0] = held[0]!;
  a.page(h0).fill(0xff, ByteArena.offset(h0), ByteArena.offset(h0) + size0);
  a.free(h0, size0);
  const again = a.alloc(size0);
  t.equal(again, h0, 'a freed region is the next of its size');
  t.same([...a.page(again).subarray(ByteArena.offset(again), ByteArena.offset(again) + size0)], Array(size0).fill(0), 'and comes back zeroed');
});

t.test('encoders sharing an arena write the bytes encoders of their own write, through growth and reuse', async (t) => {
  const word = fc.integer({ min: 0, max: 0xffffffff });
  const op = fc.record({ w: fc.integer({ min: 0, max: 5 }), hi: word, lo: word, repeat: fc.integer({ min: 0, max: 40 }), seal: fc.boolean() });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (ops, initial) => {
      const arena = new ByteArena();
      const shared: (XorEncoder | undefined)[] = [];
      const own: (XorEncoder | undefined)[] = [];
      const counts: number[] = [];
      for (const o of ops) {
        shared[o.w] ??= new XorEncoder(initial, arena);
        own[o.w] ??= new XorEncoder(initial);
        for (const e of [shared[o.w]!, own[o.w]!]) {
          e.appendBits(o.hi, o.lo);
          e.repeat(o.repeat);
        }
        counts[o.w] = shared[o.w]!.count;
        if (shared[o.w]!.capacity !== own[o.w]!.capacity) return false;
        if (o.seal) {
          const bytes = shared[o.w]!.finish();
          shared[o.w]!.release();
          if (Buffer.compare(bytes, own[o.w]!.finish()) !== 0) return false;
          shared[o.w] = own[o.w] = undefined;
        }
      }
      // The open ones, read through their live views, as readers do.
      for (let w = 0; w < shared.length; w++) {
        const s = shared[w];
        if (!s) continue;
        const a = decodeXor(s.view(), counts[w]!);
        const b = decodeXor(own[w]!.view(), counts[w]!);
        if (Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) !== 0) return false;
      }
      return true;
    }),
  );
});

t.test('a series that goes away and comes back with the same labels is a new series; its old one frees its slot', async (t) => {
  const store = new Store();
  const gauge = { name: 'temp', help: 'h', type: 'gauge' as const };
  const h = new LocalHistory({ stepMs: 1000, retentionMs: 40_000, maxSeries: 2, maxBytes: 64 << 20 });
  let a = store.set(gauge, { room: 'a' }, 1)!;
  store.set(gauge, { room: 'b' }, 2);
  for (let i = 1; i <= 5; i++) h.sample(store, i * 1000);
  store.remove(a);
  for (let i = 6; i <= 80; i++) h.sample(store, i * 1000);
  t.equal(h.seriesCount, 1, 'the removed series left once its chunks aged out');
  a = store.set(gauge, { room: 'a' }, 7)!;
  store.set(gauge, { room: 'c' }, 9); // past max_series while room a holds the freed slot
  for (let i = 81; i <= 84; i++) h.sample(store, i * 1000);
  t.equal(h.seriesCount, 2);
  t.equal(h.dropped.max_series, 1);
  const got = h.select(all, 0, Infinity);
  t.same(
    got.map((s) => s.labels.room),
    ['a', 'b'],
  );
  t.same([...got[0]!.timestampsMs], [81_000, 82_000, 83_000, 84_000], 'nothing of the old room a');
  t.same([...got[0]!.values], [7, 7, 7, 7]);
});

t.test('series come out in the order of their whole label set, __name__ included', async (t) => {
  const store = new Store();
  // By their labels without __name__ (x="1" before x="2") the order is the other way round.
  store.set({ name: 'b_metric', help: 'h', type: 'gauge' }, { x: '1' }, 1);
  store.set({ name: 'a_metric', help: 'h', type: 'gauge' }, { x: '2' }, 2);
  store.set({ name: 'a_metric', help: 'h', type: 'gauge' }, { A: 'z', x: '3' }, 3);
  const h = new LocalHistory({ stepMs: 1000, retentionMs: 40_000, maxSeries: 100, maxBytes: 64 << 20 });
  h.sample(store, 1000);
  const keys = h.select(all, 0, Infinity).map((s) => JSON.stringify(s.labels));
  t.same(
    keys,
    ['{"A":"z","x":"3","__name__":"a_metric"}', '{"x":"2","__name__":"a_metric"}', '{"x":"1","__name__":"b_metric"}'],
    'sorted as Prometheus sorts label sets; each label set keeps the order the store gave its labels, __name__ last',
  );
});
