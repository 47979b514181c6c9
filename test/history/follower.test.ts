import fc from 'fast-check';
import t from 'tap';
import { followerOf } from '../../agent/history/follower';
import { LocalHistory } from '../../agent/history/history';
import { isStaleNaN } from '../../agent/history/types';
import { labelKey, type Series, Store } from '../../agent/store/store';

const gauge = { name: 'temp', help: 'h', type: 'gauge' as const };

/** What a follower hands over for one window: series key → [t, value bits] pairs (markers told apart from NaN). */
function readAll(read: (visit: (labels: Record<string, string>, ts: Float64Array, vs: Float64Array, n: number) => void) => void): Map<string, string[]> {
  const out = new Map<string, string[]>();
  read((labels, ts, vs, n) => {
    const list: string[] = [];
    for (let i = 0; i < n; i++) list.push(`${ts[i]}:${isStaleNaN(vs[i]!) ? 'stale' : String(vs[i])}`);
    out.set(labelKey(labels), list);
  });
  return out;
}

t.test('a follower reads the same samples as select, window after window, across chunk seals, gaps and markers', async (t) => {
  await fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: -5, max: 5 }))), { minLength: 1, maxLength: 120 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 40 }),
      (steps, windows) => {
        const store = new Store({ maxSeries: 100 });
        const h = new LocalHistory({ stepMs: 1000, retentionMs: 60_000, maxSeries: 100, maxBytes: 1 << 20, samplesPerChunk: 7 });
        const f = h.follow('temp');
        const generic = followerOf({ ...h, select: h.select.bind(h), follow: undefined } as never, 'temp');
        const handles = new Map<string, Series>();
        let last = 0;
        let w = 0;
        for (let r = 0; r < steps.length; r++) {
          const [room, v] = steps[r]!;
          // Step 3 takes room 0 out of the store: a staleness marker, then a new chunk when it comes back.
          if (room === 3) {
            const s = handles.get('0');
            if (s) store.remove(s);
            handles.delete('0');
          } else {
            const s = store.set(gauge, { room: String(room) }, v, 1000 * (r + 1));
            if (s) handles.set(String(room), s);
          }
          h.sample(store, 1000 * (r + 1));
          if (r + 1 - last >= windows[w % windows.length]!) {
            const from = last * 1000 + 1;
            const to = (r + 1) * 1000;
            const want = new Map(
              h
                .select([{ name: '__name__', type: '=', value: 'temp' }], from, to)
                .map((s) => [labelKey(s.labels), [...s.values].map((x, i) => `${s.timestampsMs[i]}:${isStaleNaN(x) ? 'stale' : String(x)}`)]),
            );
            const got = readAll((v) => f.read(from, to, v));
            if (JSON.stringify([...got].sort()) !== JSON.stringify([...want].sort())) return false;
            if (JSON.stringify([...readAll((v) => generic.read(from, to, v))].sort()) !== JSON.stringify([...want].sort())) return false;
            last = r + 1;
            w++;
          }
        }
        // A window that goes back in time (a cursor past it) still reads right.
        const want = h.select([{ name: '__name__', type: '=', value: 'temp' }], 0, 1e15);
        const got = readAll((v) => f.read(0, 1e15, v));
        return got.size === want.length && want.every((s) => got.get(labelKey(s.labels))!.length === s.values.length);
      },
    ),
    { numRuns: 200 },
  );
  t.pass('200 random histories read alike');
});

t.test('a follower reads only its family and hands each series over once per window', async (t) => {
  const store = new Store();
  const h = new LocalHistory({ stepMs: 1000, retentionMs: 600_000, maxSeries: 100, maxBytes: 1 << 20 });
  const f = h.follow('temp');
  for (let r = 1; r <= 5; r++) {
    store.set(gauge, { room: 'a' }, r, r * 1000);
    store.set({ name: 'other', help: 'h', type: 'gauge' }, {}, r, r * 1000);
    h.sample(store, r * 1000);
  }
  const calls: [string, number[]][] = [];
  f.read(1000, 3000, (labels, ts, vs, n) => calls.push([labelKey(labels), [...vs.subarray(0, n)]]));
  f.read(3001, 5000, (labels, ts, vs, n) => calls.push([labelKey(labels), [...vs.subarray(0, n)]]));
  f.read(5001, 9000, (labels) => calls.push([labelKey(labels), []]));
  t.same(calls, [
    [labelKey({ __name__: 'temp', room: 'a' }), [1, 2, 3]],
    [labelKey({ __name__: 'temp', room: 'a' }), [4, 5]],
  ]);
});
