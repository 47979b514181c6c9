/** The store's change feed: what changed since generation N, removals, expiries, readers that fell behind. */
import t from 'tap';
import { ChangeSet, MAX_SUBSCRIBERS, Store } from '../../agent/store/store';

const g = { name: 'feed_gauge', help: 'A gauge.', type: 'gauge' } as const;
const h = { name: 'feed_other', help: 'Another.', type: 'gauge' } as const;

const names = (cs: ChangeSet): string[] => cs.series.map((s) => `${s.family.name}${s.labelText}`).sort();
const gone = (cs: ChangeSet): string[] => cs.removed.map((s) => `${s.family.name}${s.labelText}`).sort();

t.test('a first read is a resync of everything; later reads hold only what changed', async (t) => {
  const s = new Store();
  for (let i = 0; i < 100; i++) s.set(g, { i: String(i) }, i);
  s.set(h, {}, 1);
  const r = s.reader();
  const first = r.next();
  t.ok(first.resync);
  t.equal(first.series.length, 101);
  t.same(first.families.map((f) => f.name).sort(), ['feed_gauge', 'feed_other']);
  t.equal(first.generation, s.generation);

  t.same(names(r.next()), [], 'nothing changed, nothing listed');
  s.set(g, { i: '7' }, 70);
  s.set(g, { i: '8' }, 8); // same value: not a change
  s.set(g, { i: 'new' }, 0); // a new series is a change even at 0
  const cs = r.next();
  t.notOk(cs.resync);
  t.same(names(cs), ['feed_gauge{i="7"}', 'feed_gauge{i="new"}']);
  t.same(
    cs.families.map((f) => f.name),
    ['feed_gauge'],
  );
  t.equal(cs.series.find((x) => x.labels.i === '7')!.value, 70);
});

t.test('the most recent change comes first and a series is listed once however often it changed', async (t) => {
  const s = new Store();
  s.set(g, { a: '1' }, 1);
  s.set(g, { a: '2' }, 1);
  const since = s.generation;
  s.set(g, { a: '1' }, 2);
  s.set(g, { a: '2' }, 2);
  s.set(g, { a: '1' }, 3);
  const cs = s.changesSince(since);
  t.same(
    cs.series.map((x) => x.labels.a),
    ['1', '2'],
  );
});

t.test('removals, owner snapshots and expiries are visible as removed series', async (t) => {
  let now = 1000;
  const s = new Store({ staleAfterMs: 500, now: () => now });
  s.replaceOwned('disk', [
    {
      ...g,
      samples: [
        { labels: { d: 'sda' }, value: 1 },
        { labels: { d: 'sdb' }, value: 2 },
      ],
    },
  ]);
  s.set(h, { x: '1' }, 1);
  const r = s.reader();
  r.next();
  s.replaceOwned('disk', [{ ...g, samples: [{ labels: { d: 'sda' }, value: 1 }] }]);
  let cs = r.next();
  t.same(gone(cs), ['feed_gauge{d="sdb"}'], 'what the snapshot omitted');
  t.same(names(cs), []);
  t.same(
    cs.families.map((f) => f.name),
    ['feed_gauge'],
    'its family changed',
  );

  now = 1400;
  s.set(g, { d: 'sda' }, 5, now);
  now = 1600;
  t.equal(s.sweep(now), 1);
  cs = r.next();
  t.same(gone(cs), ['feed_other{x="1"}'], 'the expired series');
  t.same(names(cs), ['feed_gauge{d="sda"}']);
  t.equal(s.getFamily('feed_other'), undefined, 'its family went with it');

  s.dropOwner('disk');
  cs = r.next();
  t.same(gone(cs), ['feed_gauge{d="sda"}']);
  t.equal(s.seriesCount, 0);
});

t.test('a series removed and created again is in removed (old id) and in series (new id)', async (t) => {
  const s = new Store();
  const a = s.set(g, { k: 'v' }, 1)!;
  const since = s.generation;
  s.remove(a);
  const b = s.set(g, { k: 'v' }, 1)!;
  const cs = s.changesSince(since);
  t.same(
    cs.removed.map((x) => x.id),
    [a.id],
  );
  t.same(
    cs.series.map((x) => x.id),
    [b.id],
  );
  t.not(a.id, b.id);
});

t.test('a reader that fell behind the removal log resyncs; one within it does not', async (t) => {
  const s = new Store({ removalLogSize: 4 });
  const handles = [];
  for (let i = 0; i < 10; i++) handles.push(s.set(g, { i: String(i) }, i)!);
  const before = s.generation;
  const after: number[] = [];
  for (let i = 0; i < 8; i++) {
    s.remove(handles[i]!);
    after.push(s.generation);
  }
  s.set(g, { i: '9' }, 99);
  let cs = s.changesSince(before);
  t.ok(cs.resync, 'eight removals since, four remembered: start over');
  t.same(names(cs), ['feed_gauge{i="8"}', 'feed_gauge{i="9"}'], 'everything live');
  t.same(cs.removed, []);
  cs = s.changesSince(after[2]!);
  t.ok(cs.resync, 'the removal of i=3 was forgotten');
  cs = s.changesSince(after[3]!);
  t.notOk(cs.resync, 'the four remembered removals cover this reader');
  t.same(gone(cs), ['feed_gauge{i="4"}', 'feed_gauge{i="5"}', 'feed_gauge{i="6"}', 'feed_gauge{i="7"}']);
  t.same(names(cs), ['feed_gauge{i="9"}']);
});

t.test('many readers each see their own changes, and a reset reader resyncs', async (t) => {
  const s = new Store();
  const readers = Array.from({ length: 50 }, () => s.reader());
  for (const r of readers) r.next();
  for (let k = 0; k < readers.length; k++) {
    s.set(g, { k: String(k) }, k + 1);
    const cs = readers[k]!.next();
    t.equal(cs.series.length, k + 1, `reader ${k} sees the ${k + 1} series written since its first read`);
  }
  t.equal(readers[0]!.next().series.length, readers.length - 1, 'the first reader sees the writes after its last read');
  readers[1]!.reset();
  t.ok(readers[1]!.next().resync);
});

t.test('a HELP change is a family change without a series change; keep-alive is no change at all', async (t) => {
  let now = 0;
  const s = new Store({ staleAfterMs: 100, now: () => now });
  const a = s.set(g, {}, 1)!;
  let since = s.generation;
  s.set({ ...g, help: 'Better help.' }, {}, 1);
  let cs = s.changesSince(since);
  t.same(
    cs.families.map((f) => f.help),
    ['Better help.'],
  );
  t.same(cs.series, []);
  since = s.generation;
  now = 90;
  t.ok(s.keepAlive(a, now));
  t.equal(s.generation, since, 'keep-alive spends no generation');
  now = 150;
  t.equal(s.sweep(now), 0, 'a series kept alive is not stale');
  s.remove(a);
  t.notOk(s.keepAlive(a, now), 'a removed series cannot be kept alive');
  cs = s.changesSince(since);
  t.equal(cs.removed.length, 1);
});

t.test('timestamped writes are store writes: a new timestamp is a change', async (t) => {
  const s = new Store();
  s.setSample(g, { labels: {}, value: 1, timestampMs: 1000 });
  const since = s.generation;
  s.setSample(g, { labels: {}, value: 1, timestampMs: 1000 });
  t.equal(s.generation, since, 'same value, same timestamp');
  const x = s.setSample(g, { labels: {}, value: 1, timestampMs: 2000 })!;
  t.equal(x.timestampMs, 2000);
  t.same(
    s.changesSince(since).series.map((y) => y.id),
    [x.id],
  );
  s.setSample({ name: 'feed_hist', help: '', type: 'histogram' }, { labels: {}, dist: { count: 1, sum: 2, buckets: [[1, 1]] }, timestampMs: 5 });
  t.equal(s.getFamily('feed_hist')!.series.get('')!.timestampMs, 5);
});

t.test('subscribers hear once per burst of writes, after the writes, and can leave', async (t) => {
  const s = new Store();
  const heard: number[] = [];
  const off = s.subscribe((gen) => heard.push(gen));
  s.set(g, { a: '1' }, 1);
  s.set(g, { a: '2' }, 1);
  t.same(heard, [], 'never inside a write');
  await Promise.resolve();
  t.same(heard, [s.generation]);
  off();
  s.set(g, { a: '3' }, 1);
  await Promise.resolve();
  t.equal(heard.length, 1);
  const offs = Array.from({ length: MAX_SUBSCRIBERS }, () => s.subscribe(() => undefined));
  t.throws(() => s.subscribe(() => undefined), { code: 'OUTRIDER_ERR_STORE_SUBSCRIBERS' }, 'subscribers are bounded');
  offs[0]!();
  t.doesNotThrow(() => s.subscribe(() => undefined));
});

t.test('the feed costs what changed, not what is stored', async (t) => {
  const s = new Store();
  for (let i = 0; i < 20_000; i++) s.set(g, { i: String(i) }, i);
  const since = s.generation;
  s.set(g, { i: '5' }, -1);
  const cs = s.changesSince(since);
  t.equal(cs.series.length, 1);
  t.equal(cs.families.length, 1);
});

t.test('a reader with a filter gets only the series it keeps, changed and removed, resync included', async (t) => {
  const s = new Store();
  for (let i = 0; i < 5; i++) s.set(g, { i: String(i) }, i);
  s.set(h, { k: 'x' }, 1);
  const r = s.reader((x) => x.family.name === 'feed_other');
  const first = r.next();
  t.ok(first.resync);
  t.same(names(first), ['feed_other{k="x"}']);
  s.set(g, { i: '1' }, 10);
  s.set(h, { k: 'x' }, 2);
  const y = s.set(h, { k: 'y' }, 2)!;
  t.same(names(r.next()), ['feed_other{k="x"}', 'feed_other{k="y"}']);
  s.remove(s.set(g, { i: '2' }, 2)!);
  s.remove(y);
  const cs = r.next();
  t.same(names(cs), []);
  t.same(gone(cs), ['feed_other{k="y"}']);
  t.same(gone(s.changesSince(first.generation)).length, 2, 'an unfiltered read still sees both removals');
});
