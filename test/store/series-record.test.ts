import t from 'tap';
import { labelKey, renderLabels, Store, type HeldSample } from '../../agent/store/store';
import { sameLabels } from '../../agent/store/label-key';

const g = { name: 'rec_gauge', help: 'A gauge.', type: 'gauge' } as const;
const c = { name: 'rec_events_total', help: 'Events.', type: 'counter', restartsWithAgent: true } as const;

t.test('label text and key are the same text however the label set was built', async (t) => {
  const many: Record<string, string> = {};
  for (let i = 9; i >= 0; i--) many[`l${i}`] = `value-${i}-${'x'.repeat(20)}`;
  t.equal(renderLabels(many), '{' + [...Array(10).keys()].map((i) => `l${i}="value-${i}-${'x'.repeat(20)}"`).join(',') + '}');
  t.equal(labelKey(many), [...Array(10).keys()].map((i) => `l${i}\u0000value-${i}-${'x'.repeat(20)}\u0000`).join(''));
  t.equal(renderLabels({ only: 'a"b' }), '{only="a\\"b"}');
  t.equal(labelKey({ only: '1' }), 'only\u00001\u0000');
  t.equal(renderLabels({}), '');
  t.equal(labelKey({}), '');
  const s = new Store();
  const a = s.set(g, many, 1)!;
  t.equal(a.labelText, renderLabels(many));
  t.equal(a.key, labelKey(many));
  t.equal(s.getFamily('rec_gauge')!.series.get(labelKey(many)), a);
});

t.test('a series keeps its labels, value and flags after it left the store; a held handle to it is dead', async (t) => {
  let now = 5000;
  const s = new Store({ now: () => now });
  const labels = { job: 'app', path: '/x' };
  const a = s.setSample(c, { labels, value: 2.5, timestampMs: 4000 })!;
  labels.job = 'changed by the writer';
  t.same(a.labels, { job: 'app', path: '/x' }, 'the store keeps its own copy of the labels');
  t.equal(a.restartsWithAgent, true);
  t.equal(a.updatedMs, 5000);
  s.remove(a);
  t.same([a.value, a.timestampMs, a.updatedMs, a.labels, a.restartsWithAgent], [2.5, 4000, 5000, { job: 'app', path: '/x' }, true], 'as it was when removed');
  now = 6000;
  t.equal(s.writeHandle(a, 3), false, 'a removed series is not written through its handle');
  t.equal(s.keepAlive(a), false);
  t.equal(a.value, 2.5);
  const other = new Store();
  const foreign = other.set(c, { job: 'app', path: '/y' }, 1)!;
  t.equal(s.writeHandle(foreign, 9), false, "another store's handle is not written in this one");
  t.equal(s.keepAlive(foreign), false);
  s.remove(foreign);
  t.equal(other.seriesCount, 1, 'nor removed from it by this one');
  t.equal(s.writeHandle({ ...foreign }, 9), false, 'nor a copy of a handle');
  const b = s.set(c, { job: 'app', path: '/x' }, 3)!;
  t.not(b, a, 'the same labels make a new series');
  t.ok(b.id > a.id);
});

t.test('a held handle to a removed series is looked up again, and an owner snapshot removes what it omits', async (t) => {
  const s = new Store();
  const held: HeldSample[] = [
    { family: g, labels: { i: '1' }, value: 1, timestampMs: undefined, series: undefined },
    { family: g, labels: { i: '2' }, value: 2, timestampMs: undefined, series: undefined },
  ];
  s.replaceOwnedHeld('t', [], held);
  const first = held[0]!.series!;
  t.equal(s.seriesCount, 2);
  s.remove(first);
  s.replaceOwnedHeld('t', [], held);
  t.not(held[0]!.series, first, 'the removed series was replaced');
  t.equal(held[0]!.series!.value, 1);
  t.equal(s.seriesCount, 2);
  s.replaceOwnedHeld('t', [], held.slice(1));
  t.equal(s.seriesCount, 1, 'the omitted series went');
  t.equal(s.writeHandle(held[0]!.series!, 5), false);
  s.replaceOwnedHeld('t', [], held);
  t.equal(s.seriesCount, 2, 'and comes back as a new series');
});

t.test('a series written later as restarting with the agent keeps the flag', async (t) => {
  const s = new Store();
  const plain = { name: 'rec_events_total', help: 'Events.', type: 'counter' } as const;
  const a = s.set(plain, { k: 'v' }, 1)!;
  t.equal(a.restartsWithAgent, undefined);
  t.equal(s.set(c, { k: 'v' }, 2), a);
  t.equal(a.restartsWithAgent, true);
});

t.test('update times and sources read the same across the store moving its time epoch', async (t) => {
  const day = 86_400_000;
  let now = 1_700_000_000_000;
  const s = new Store({ now: () => now, staleAfterMs: 30 * day, budgets: { statsd: 3 } });
  const a = s.withSource('statsd', () => s.set(c, { k: 'a' }, 1))!;
  const b = s.set(g, { k: 'b' }, 1, now + 1000)!;
  const gone = s.set(g, { k: 'gone' }, 1, now + 2000)!;
  s.remove(gone);
  for (let d = 1; d <= 40; d++) {
    now += day;
    if (d <= 20) s.keepAlive(a, now - 7);
    if (d === 25) s.set(g, { k: 'b' }, 2, now);
    t.equal(s.sweep(now), 0);
  }
  t.equal(a.updatedMs, 1_700_000_000_000 + 20 * day - 7, 'a keep-alive written before the epoch moved');
  t.equal(b.updatedMs, 1_700_000_000_000 + 25 * day);
  t.equal(gone.updatedMs, 1_700_000_000_000 + 2000, 'a removed series reads as it was when removed');
  t.same([a.restartsWithAgent, b.restartsWithAgent], [true, undefined]);
  t.same(Object.fromEntries(s.seriesBySource()), { statsd: 1, other: 1 }, 'each series still counted against its source');
  now += 30 * day;
  t.equal(s.sweep(now), 2, 'the sweep compares times across the moves');
  t.same(Object.fromEntries(s.seriesBySource()), {});
});

t.test('an owner snapshot finds each sample its series however its samples move between snapshots', async (t) => {
  const s = new Store();
  const h = { name: 'rec_other', help: 'Other.', type: 'gauge' } as const;
  const snap = (fams: Array<[typeof g | typeof h | typeof c, Array<Record<string, string>>]>, v: number) =>
    s.replaceOwned(
      'o',
      fams.map(([d, ls]) => ({ ...d, samples: ls.map((labels) => ({ labels: { ...labels }, value: v })) })),
    );
  const find = (name: string, labels: Record<string, string>) => s.getFamily(name)?.series.get(labelKey(labels));
  snap(
    [
      [g, [{ a: '1' }, { a: '2' }]],
      [h, [{ a: '1' }]],
    ],
    1,
  );
  const g1 = find('rec_gauge', { a: '1' })!;
  const g2 = find('rec_gauge', { a: '2' })!;
  const h1 = find('rec_other', { a: '1' })!;
  t.equal(s.seriesCount, 3);
  snap(
    [
      [h, [{ a: '1' }]],
      [g, [{ a: '2' }, { a: '1' }]],
    ],
    2,
  );
  t.same([find('rec_gauge', { a: '1' }), find('rec_gauge', { a: '2' }), find('rec_other', { a: '1' })], [g1, g2, h1], 'the same series, reordered');
  t.same([g1.value, g2.value, h1.value], [2, 2, 2]);
  snap(
    [
      [g, [{ a: '1', b: 'x' }, { a: '2' }]],
      [h, [{ a: '1' }]],
    ],
    3,
  );
  t.equal(s.seriesCount, 3, 'a label added at a position is another series, and the one it replaced went');
  t.equal(s.keepAlive(g1), false, 'the series it replaced is out of the store');
  t.equal(find('rec_gauge', { a: '1', b: 'x' })!.value, 3);
  snap(
    [
      [g, [{ a: '1' }, { a: '2' }]],
      [h, [{ a: '1' }]],
    ],
    4,
  );
  t.notOk(find('rec_gauge', { a: '1', b: 'x' }), 'and the one with fewer labels at the same position is not taken for it');
  t.equal(find('rec_gauge', { a: '1' })!.value, 4);
  s.remove(g2);
  snap(
    [
      [g, [{ a: '1' }, { a: '2' }]],
      [h, [{ a: '1' }]],
    ],
    5,
  );
  const g2b = find('rec_gauge', { a: '2' })!;
  t.not(g2b, g2, 'a removed series at a position is not written: a new one is made');
  t.same([g2.value, g2b.value], [4, 5]);
  snap(
    [
      [h, [{ a: '1' }]],
      [c, [{ a: '1' }]],
    ],
    6,
  );
  t.equal(s.seriesCount, 2);
  t.equal(find('rec_events_total', { a: '1' })!.restartsWithAgent, true);
  t.equal(find('rec_other', { a: '1' }), h1);
  snap(
    [
      [{ ...h, type: 'counter' } as never, [{ a: '1' }]],
      [c, [{ a: '1' }]],
    ],
    7,
  );
  t.equal(h1.value, 6, 'a family refused for its type is skipped and the positions after it still line up');
  t.equal(find('rec_events_total', { a: '1' })!.value, 7);
  const gen = s.generation;
  s.replaceOwned('o', [{ ...h, help: 'New.', samples: [{ labels: { a: '1' }, value: 9 }] }]);
  t.same([s.getFamily('rec_other')!.help, s.getFamily('rec_other')!.changedGen > gen, find('rec_other', { a: '1' })!.value], ['New.', true, 9], 'a new HELP is taken');
  s.dropOwner('o');
  t.equal(s.seriesCount, 0);
  snap([[g, [{ a: '1' }]]], 8);
  t.equal(find('rec_gauge', { a: '1' })!.value, 8, 'an owner dropped and back starts again');
});

t.test('two label sets are the same set by their names and values, in any order', async (t) => {
  t.ok(sameLabels({ a: '1', b: '2' }, { b: '2', a: '1' }));
  t.ok(sameLabels({}, {}));
  t.notOk(sameLabels({ a: '1' }, { a: '1', b: '2' }), 'a name more');
  t.notOk(sameLabels({ a: '1', b: '2' }, { a: '1' }), 'a name fewer');
  t.notOk(sameLabels({ a: '1' }, { a: '2' }), 'another value');
  t.notOk(sameLabels({ a: '1' }, { toString: '1' } as Record<string, string>), "a name the held set's prototype has");
});
