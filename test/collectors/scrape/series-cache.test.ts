import t from 'tap';
import { ScrapeConverter } from '../../../agent/collectors/scrape/convert';
import { SeriesCache } from '../../../agent/collectors/scrape/series-cache';
import { targetFromConfig } from '../../../agent/collectors/scrape/targets';
import { TextParser } from '../../../agent/formats/parse';
import type { Store } from '../../../agent/store/store';
import { defaults, scraper, serve, valueOf } from './helpers';

/** Every series in the store as `family labels => value @ts` lines (sorted), scrape_duration_seconds left out. */
function dump(store: Store): string[] {
  const out: string[] = [];
  for (const f of store.families()) {
    if (f.name === 'scrape_duration_seconds') continue;
    for (const s of f.series.values()) out.push(`${f.name}|${f.type}|${f.help} ${JSON.stringify(Object.entries(s.labels).sort())} => ${s.value} @${s.timestampMs}`);
  }
  return out.sort();
}

/** Converts `text` through a fresh converter on `cache`, counting the sample lines the converter knew. */
function convertCounted(spec: ConstructorParameters<typeof ScrapeConverter>[0], cache: SeriesCache, text: string) {
  const conv = new ScrapeConverter(spec, cache);
  let known = 0;
  const p = new TextParser(conv.add, {
    known: (...a) => {
      const hit = conv.known(...a);
      if (hit) known++;
      return hit;
    },
  });
  p.write(text);
  p.end();
  return { known, conv };
}

/** A target whose body is whatever `body.text` holds at the time of the scrape. */
async function target(t: { teardown(fn: () => unknown): void }, text: string) {
  const body = { text };
  const app = await serve((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(body.text);
  });
  t.teardown(() => app.close());
  return { app, body, inst: app.url.slice(7) };
}

const relabels = [
  { source_labels: ['__name__'], regex: 'drop_me', action: 'drop' },
  { source_labels: ['x'], regex: '(.*)', target_label: 'y', replacement: 'y$1' },
];

const bodies = [
  '# HELP m A gauge.\n# TYPE m gauge\nm{job="inner",x="1"} 5 1700000000000\nm{job="inner",x="2"} 6\nm{x="3",z=""} 1.25\ndrop_me 1\nc_total{a="b"} 7\n',
  // Same series, new values; one series gone, one new, one line twice.
  '# HELP m A gauge.\n# TYPE m gauge\nm{job="inner",x="1"} 6 1700000001000\nm{x="3",z=""} -2.5e3\nm{x="4"} 1\nm{x="4"} 2\ndrop_me 3\nc_total{a="b"} 8\n',
  // HELP changed: that family is read afresh.
  '# HELP m Another help.\n# TYPE m gauge\nm{job="inner",x="1"} 7\nc_total{a="b"} 9\ndrop_me 3\n',
];

t.test('a scrape through the series cache stores what a first scrape of the same body stores', async (t) => {
  for (const [name, extra] of [
    ['plain', {}],
    ['relabeled', { metric_relabel_configs: relabels }],
    ['honor_labels', { honor_labels: true, honor_timestamps: false }],
  ] as const) {
    const tg = await target(t, bodies[0]!);
    const warm = scraper([{ url: tg.app.url, job: 'j', ...extra }]);
    for (let i = 1; i < bodies.length; i++) {
      tg.body.text = bodies[i - 1]!;
      await warm.scraper.scrapeAll();
      tg.body.text = bodies[i]!;
      await warm.scraper.scrapeAll();
      const cold = scraper([{ url: tg.app.url, job: 'j', ...extra }]);
      await cold.scraper.scrapeAll();
      t.equal(warm.scraper.targets()[0]!.health, 'up', warm.scraper.targets()[0]!.lastError);
      const w = dump(warm.store).filter((l) => !l.startsWith('scrape_series_added'));
      t.same(
        w,
        dump(cold.store).filter((l) => !l.startsWith('scrape_series_added')),
        `${name}: body ${i}`,
      );
    }
  }
});

t.test('a known series is converted once: later lines skip the label parse and write through the kept handle', async (t) => {
  const spec = targetFromConfig({ url: 'http://127.0.0.1:9/metrics', job: 'j' }, 0, defaults)!;
  const cache = new SeriesCache();
  const run = (text: string) => {
    const { known, conv } = convertCounted(spec, cache, text);
    return { known, ...conv.families() };
  };
  const text = '# TYPE m gauge\nm{a="1"} 1\nm{a="2"} 2\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n';
  const first = run(text);
  t.equal(first.known, 0);
  t.equal(first.held.length, 2, 'gauges are held');
  t.equal(first.families.length, 1, 'the histogram is gathered as before');
  const second = run(text.replace('} 1\n', '} 10\n'));
  t.equal(second.known, 2, 'the gauge lines were known');
  t.same(
    second.held.map((h) => h.value),
    [10, 2],
  );
  t.same(second.keys, first.keys);
  t.equal(cache.size, 2);
  t.equal(run('# TYPE m counter\nm{a="2"} 2\n').known, 0, 'a family declared with another type is read afresh');
  t.equal(run('# HELP m Changed.\n# TYPE m gauge\nm{a="2"} 2\n').known, 0, 'so is one with another HELP');
  t.equal(run('# TYPE m gauge\nm{a="2"} 2\n').known, 0, 'the entry is now of the last context');
  t.equal(run('# TYPE m gauge\nm{a="2"} 2\n').known, 1);
  cache.succeeded();
  t.equal(cache.size, 1, 'a series the last scrape did not see is forgotten');
});

t.test("a HELP line after some of a family's samples: the later lines are of the new context", async (t) => {
  const spec = targetFromConfig({ url: 'http://127.0.0.1:9/metrics', job: 'j' }, 0, defaults)!;
  const cache = new SeriesCache();
  const run = (text: string) => {
    const { known } = convertCounted(spec, cache, text);
    cache.succeeded();
    return known;
  };
  t.equal(run('# TYPE m gauge\nm{a="1"} 1\nm{a="2"} 2\n'), 0);
  t.equal(run('# TYPE m gauge\nm{a="1"} 1\nm{a="2"} 2\n'), 2);
  // The first line matches its entry (no HELP); after the HELP the second line's entry (no HELP) no longer does.
  t.equal(run('# TYPE m gauge\nm{a="1"} 1\n# HELP m Later.\nm{a="2"} 2\n'), 1);
  t.equal(run('# TYPE m gauge\nm{a="1"} 1\n# HELP m Later.\nm{a="2"} 2\n'), 2);
});

t.test('a held series removed from the store is created again by its labels', async (t) => {
  const tg = await target(t, '# TYPE m gauge\nm{x="1"} 1\nm{x="2"} 2\n');
  const { scraper: s, store } = scraper([{ url: tg.app.url, job: 'j' }]);
  await s.scrapeAll();
  const one = [...store.getFamily('m')!.series.values()].find((x) => x.labels.x === '1')!;
  store.remove(one);
  store.remove([...store.getFamily('m')!.series.values()][0]!); // the family goes with its last series
  t.equal(store.getFamily('m'), undefined);
  tg.body.text = '# TYPE m gauge\nm{x="1"} 3\nm{x="2"} 4\n';
  await s.scrapeAll();
  t.equal(valueOf(store, 'm', { job: 'j', instance: tg.inst, x: '1' }), 3);
  t.equal(valueOf(store, 'm', { job: 'j', instance: tg.inst, x: '2' }), 4);
  t.equal(store.getFamily('m')!.type, 'gauge');
});

t.test('the sample limit counts known series too', async (t) => {
  const tg = await target(t, 'a 1\nb 1\nc 1\n');
  const { scraper: s, store } = scraper([{ url: tg.app.url, job: 'j', sample_limit: 3 }]);
  await s.scrapeAll();
  t.equal(s.targets()[0]!.health, 'up');
  // The new series comes first: the fourth sample is a known one.
  tg.body.text = 'd 1\na 2\nb 2\nc 2\n';
  await s.scrapeAll();
  t.equal(s.targets()[0]!.health, 'down');
  t.match(s.targets()[0]!.lastError, /sample_limit/);
  t.equal(valueOf(store, 'a', { job: 'j', instance: tg.inst }), undefined);
});

t.test('the cache is bounded: past its size, new series are converted every time and still stored', async (t) => {
  const spec = targetFromConfig({ url: 'http://127.0.0.1:9/metrics', job: 'j' }, 0, defaults)!;
  const cache = new SeriesCache(2);
  for (let i = 0; i < 2; i++) {
    const conv = new ScrapeConverter(spec, cache);
    const p = new TextParser(conv.add, { known: conv.known });
    p.write('a 1\nb 1\nc 1\nd 1\n');
    p.end();
    t.equal(conv.families().held.length, 4);
    cache.succeeded();
  }
  t.equal(cache.size, 2);
});

t.test('scrape_series_added counts known series that were not in the last successful scrape', async (t) => {
  const tg = await target(t, 'a 1\nb 1\n');
  const { scraper: s, store } = scraper([{ url: tg.app.url, job: 'j' }]);
  const added = () => valueOf(store, 'scrape_series_added', { job: 'j', instance: tg.inst });
  await s.scrapeAll();
  t.equal(added(), 2);
  tg.body.text = 'a 2\nb 2\nc 1\n';
  await s.scrapeAll();
  t.equal(added(), 1);
  tg.body.text = 'a 2\nc 1\n';
  await s.scrapeAll();
  t.equal(added(), 0);
  tg.body.text = 'a 2\nb 3\nc 1\n';
  await s.scrapeAll();
  t.equal(added(), 1, 'b left and came back');
  tg.body.text = 'a 2\nb 3\nc 1\nbad line\n';
  await s.scrapeAll();
  t.equal(s.targets()[0]!.health, 'down');
  tg.body.text = 'a 2\nb 3\nc 1\n';
  await s.scrapeAll();
  t.equal(added(), 3, 'after a failed scrape every series is added again');
});

t.test('the series limit counts known series by their keys', async (t) => {
  const tg = await target(t, 'a 1\nb 1\n');
  const { scraper: s } = scraper([{ url: tg.app.url, job: 'j', series_limit: 3 }]);
  for (const [body, health] of [
    ['a 1\nb 1\n', 'up'],
    ['a 2\nb 2\nc 2\n', 'up'],
    ['a 3\nb 3\nc 3\n', 'up'],
    ['a 3\nd 3\n', 'down'],
  ] as const) {
    tg.body.text = body;
    await s.scrapeAll();
    t.equal(s.targets()[0]!.health, health, body);
  }
  t.match(s.targets()[0]!.lastError, /series_limit/);
});

t.test('the arrays reused from scrape to scrape hold exactly the series of each body, however its length changes', async (t) => {
  const spec = targetFromConfig({ url: 'http://127.0.0.1:9/metrics', job: 'j', sample_limit: 6 }, 0, defaults)!;
  const cache = new SeriesCache();
  const body = (names: string[], v: number) => names.map((n) => `${n} ${v}\n`).join('');
  const run = (names: string[], v: number) => {
    const conv = new ScrapeConverter(spec, cache);
    let known = 0;
    const p = new TextParser(conv.add, { known: (...a) => (conv.known(...a) ? (known++, true) : false) });
    try {
      p.write(body(names, v));
      p.end();
    } catch (err) {
      cache.failed();
      return { failed: true, known, held: [] as string[] };
    }
    const { held } = conv.families();
    const out = { failed: false, known, held: held.map((h) => `${h.family.name}=${h.value}`) };
    cache.succeeded();
    return out;
  };
  const five = ['a', 'b', 'c', 'd', 'e'];
  t.same(run(five, 1), { failed: false, known: 0, held: five.map((n) => `${n}=1`) });
  t.same(run(['a', 'b'], 2), { failed: false, known: 2, held: ['a=2', 'b=2'] }, 'a shorter body leaves nothing of the longer one');
  t.equal(cache.size, 2);
  t.same(run(five, 3), { failed: false, known: 2, held: five.map((n) => `${n}=3`) }, 'a longer one again');
  t.same(run([...five, 'f', 'g'], 4).failed, true, 'a scrape over the sample limit fails part way');
  t.same(run(['c', 'a'], 5), { failed: false, known: 2, held: ['c=5', 'a=5'] }, 'after it, the next body is read whole and alone');
  t.same(run(['c', 'a'], 6), { failed: false, known: 2, held: ['c=6', 'a=6'] });
  t.equal(cache.size, 2);
});

t.test('a series read in two family contexts in one body still leaves the cache with only what that body had', async (t) => {
  const spec = targetFromConfig({ url: 'http://127.0.0.1:9/metrics', job: 'j' }, 0, defaults)!;
  for (const bytes of [false, true]) {
    const cache = new SeriesCache();
    const run = (text: string) => {
      const conv = new ScrapeConverter(spec, cache);
      const p = new TextParser(conv.add, { known: conv.known, knownBytes: bytes ? conv.knownBytes : undefined });
      p.write(Buffer.from(text));
      p.end();
      const held = conv.families().held.map((h) => `${h.family.name}=${h.value}`);
      cache.succeeded();
      return held;
    };
    run('x 1\ny 1\n');
    t.equal(cache.size, 2);
    // The second x line is in another context (a HELP after its first sample): its entry replaces the first one.
    t.same(run('x 2\n# HELP x Now.\nx 3\n'), ['x=2', 'x=3']);
    t.equal(cache.size, 1, `${bytes ? 'bytes' : 'text'}: y, not in the body, is dropped`);
    t.same(run('x 4\n# HELP x Now.\nx 5\n'), ['x=4', 'x=5']);
    t.equal(cache.size, 1);
  }
});
