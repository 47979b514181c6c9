import t from 'tap';
import { labelKey, renderLabels, Store } from '../../agent/store/store';

const g = { name: 'test_gauge', help: 'A gauge.', type: 'gauge' } as const;
const c = { name: 'test_events_total', help: 'Events.', type: 'counter' } as const;

t.test('set, add and generation', async (t) => {
  const s = new Store();
  const g0 = s.generation;
  s.set(g, { a: '1' }, 5);
  t.ok(s.generation > g0, 'a write bumps the generation');
  const g1 = s.generation;
  s.set(g, { a: '1' }, 5);
  t.equal(s.generation, g1, 'an unchanged value does not');
  s.add(c, {}, 2);
  s.add(c, {}, 3);
  t.equal(s.getFamily('test_events_total')!.series.get('')!.value, 5);
  t.equal(s.seriesCount, 2);
});

t.test('label identity ignores label order', async (t) => {
  t.equal(labelKey({ a: '1', b: '2' }), labelKey({ b: '2', a: '1' }));
  t.equal(renderLabels({ b: 'x"y\\z\n', a: '1' }), '{a="1",b="x\\"y\\\\z\\n"}');
  const s = new Store();
  s.set(g, { a: '1', b: '2' }, 1);
  s.set(g, { b: '2', a: '1' }, 2);
  t.equal(s.seriesCount, 1);
});

t.test('replaceOwned drops what the next snapshot omits', async (t) => {
  const s = new Store();
  s.replaceOwned('disk', [
    {
      ...g,
      samples: [
        { labels: { device: 'sda' }, value: 1 },
        { labels: { device: 'sdb' }, value: 2 },
      ],
    },
  ]);
  t.equal(s.seriesCount, 2);
  s.replaceOwned('disk', [{ ...g, samples: [{ labels: { device: 'sda' }, value: 3 }] }]);
  t.equal(s.seriesCount, 1);
  t.equal(s.getFamily('test_gauge')!.series.get(labelKey({ device: 'sda' }))!.value, 3);
  s.dropOwner('disk');
  t.equal(s.seriesCount, 0);
  t.equal(s.getFamily('test_gauge'), undefined, 'an empty family disappears');
});

t.test('stale series expire', async (t) => {
  let now = 1000;
  const s = new Store({ staleAfterMs: 500, now: () => now });
  s.set(g, { a: '1' }, 1, now);
  now = 1400;
  s.set(g, { a: '2' }, 1, now);
  now = 1600;
  t.equal(s.sweep(now), 1);
  t.equal(s.seriesCount, 1);
});

t.test('the sweep skips its walk while nothing can be stale, and any older write since is still swept', async (t) => {
  let now = 10_000;
  const s = new Store({ staleAfterMs: 500, now: () => now });
  const a = s.set(g, { a: '1' }, 1, now)!;
  t.equal(s.sweep(now + 400), 0);
  s.set(g, { a: '2' }, 1, now + 400);
  t.equal(s.sweep(now + 501), 1, 'the first series went at its time');
  t.equal(s.sweep(now + 700), 0);
  t.equal(s.seriesCount, 1);
  t.equal(s.sweep(now + 901), 1, 'the second at its time');
  now = 20_000;
  const b = s.set(g, { a: '3' }, 1, now)!;
  t.equal(s.sweep(now + 100), 0, 'a walk that keeps b remembers it as the oldest');
  const c2 = s.set(g, { a: '4' }, 1, now)!;
  t.ok(s.writeHandle(c2, 2, undefined, 15_000), 'a write stamped older than any kept');
  t.equal(s.sweep(now + 100), 1, 'is swept at once, though the last walk saw nothing older than b');
  t.ok(s.keepAlive(b, now + 450));
  t.equal(s.sweep(now + 600), 0, 'kept alive');
  t.equal(s.seriesCount, 1);
  t.not(a, b);
});

t.test('bounds and bad input are counted drops, never throws', async (t) => {
  const s = new Store({ maxSeries: 2 });
  const seen: string[] = [];
  s.onDrop = (reason) => seen.push(reason);
  s.set(g, { a: '1' }, 1);
  s.set(g, { a: '2' }, 1);
  t.equal(s.set(g, { a: '3' }, 1), undefined);
  t.equal(s.dropped.max_series, 1);
  t.equal(s.set({ name: '0bad', help: '', type: 'gauge' }, {}, 1), undefined);
  t.equal(s.set({ name: 'test_gauge', help: '', type: 'counter' }, {}, 1), undefined);
  t.equal(s.set({ name: 'other', help: '', type: 'gauge' }, { 'bad-label': 'x' }, 1), undefined);
  t.same(seen, ['max_series', 'invalid_name', 'type_conflict', 'invalid_label']);
  t.equal(s.seriesCount, 2, 'good data kept');
});
