import t from 'tap';
import { LocalHistory } from '../../agent/history/history';
import type { LabelMatcher } from '../../agent/history/types';
import { Store } from '../../agent/store/store';

const gauge = { name: 'temp', help: 'h', type: 'gauge' as const };
const anyTemp: LabelMatcher[] = [{ name: '__name__', type: '=', value: 'temp' }];

t.test('retention drops old chunks, and series whose samples are all gone', async (t) => {
  const store = new Store();
  const h = new LocalHistory({ stepMs: 1000, retentionMs: 40_000, maxSeries: 100, maxBytes: 64 << 20 });
  t.equal(h.samplesPerChunk, 10, 'a quarter of the retention when that is under 120');
  const gone = store.set(gauge, { room: 'gone' }, 1)!;
  for (let i = 1; i <= 200; i++) {
    if (i === 20) store.remove(gone);
    store.set(gauge, { room: 'kept' }, i);
    h.sample(store, i * 1000);
  }
  const kept = h.select(anyTemp, -Infinity, Infinity);
  t.same(
    kept.map((s) => s.labels.room),
    ['kept'],
    'the removed series left with its last chunk',
  );
  const ts = kept[0]!.timestampsMs;
  t.equal(ts[ts.length - 1], 200_000);
  t.ok(ts[0]! >= 200_000 - 40_000 - 10_000, `oldest sample ${ts[0]} within retention plus one chunk`);
  t.ok(ts[0]! <= 200_000 - 40_000, 'and the whole retention is still there');
  t.equal(h.oldestMs(), ts[0]);
  t.equal(h.seriesCount, 1);
  const bytesAfter200 = h.bytes;
  for (let i = 201; i <= 1000; i++) {
    store.set(gauge, { room: 'kept' }, i);
    h.sample(store, i * 1000);
  }
  t.ok(h.bytes <= bytesAfter200 * 1.5, `memory stays flat under retention (${bytesAfter200} → ${h.bytes} bytes)`);
});

t.test('max_series refuses new series, counts each once, and admits them when room frees', async (t) => {
  const store = new Store();
  const h = new LocalHistory({ stepMs: 1000, retentionMs: 8000, maxSeries: 3, maxBytes: 64 << 20 });
  const series = [0, 1, 2, 3, 4].map((i) => store.set(gauge, { i: String(i) }, i)!);
  h.sample(store, 1000);
  h.sample(store, 2000);
  t.equal(h.seriesCount, 3);
  t.equal(h.dropped.max_series, 2, 'two series refused, counted once each across rounds');
  t.same(
    h.select(anyTemp, 0, 5000).map((s) => s.labels.i),
    ['0', '1', '2'],
  );
  for (const s of series.slice(0, 3)) store.remove(s);
  for (let i = 3; i <= 20; i++) h.sample(store, i * 1000);
  t.same(
    h.select(anyTemp, 15_000, 20_000).map((s) => s.labels.i),
    ['3', '4'],
    'admitted once the old series aged out',
  );
  t.equal(h.dropped.max_series, 2);
});

t.test('max_bytes evicts the oldest chunks first and refuses new series while over', async (t) => {
  const store = new Store();
  const maxBytes = 200_000;
  const h = new LocalHistory({ stepMs: 1000, retentionMs: 3_600_000, maxSeries: 10_000, maxBytes });
  for (let i = 0; i < 50; i++) store.set(gauge, { i: String(i) }, Math.random());
  let most = 0;
  for (let r = 1; r <= 1500; r++) {
    for (let i = 0; i < 50; i++) store.set(gauge, { i: String(i) }, Math.random());
    h.sample(store, r * 1000);
    most = Math.max(most, h.bytes);
  }
  t.ok(most <= maxBytes + 50 * 2048, `bounded: at most ${most} bytes (open chunks may go past by one chunk per series)`);
  t.ok(h.evictedChunks > 0, 'chunks were evicted before their retention');
  const s = h.select(anyTemp, -Infinity, Infinity)[0]!;
  t.equal(s.timestampsMs[s.timestampsMs.length - 1], 1_500_000, 'the newest samples are kept');
  t.ok(s.timestampsMs[0]! > 1000, 'the oldest went');
  store.set(gauge, { i: 'new' }, 1);
  const before = h.dropped.max_bytes;
  h.sample(store, 1_501_000);
  if (h.bytes >= maxBytes) t.equal(h.dropped.max_bytes, before + 1, 'a new series while over the bound is refused');
});
