import t from 'tap';
import { RenderCache } from '../../agent/exposition/cache';
import { render } from '../../agent/exposition/render';
import { Store } from '../../agent/store/store';
import type { FamilyDesc, MetricType } from '../../agent/store/types';

/** A small deterministic PRNG (mulberry32), so a failure replays. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const types: MetricType[] = ['gauge', 'counter', 'untyped', 'histogram', 'summary'];
const labelValues = ['a', 'b', 'é', '日本', '😀', 'x"y', 'back\\slash', 'new\nline', ''];
const values = [0, 1, -1, 0.5, 1e21, 1e-7, 123456789.125, NaN, Infinity, -Infinity, -0, 2 ** 53];

t.test('the cached body equals a fresh render after any sequence of writes, in both formats', async (t) => {
  for (const seed of [1, 2, 3]) {
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    // A small removal log, so some catch-ups are resyncs.
    const s = new Store({ removalLogSize: 4 });
    const fams: FamilyDesc[] = Array.from({ length: 12 }, (_, i) => {
      const type = types[i % types.length]!;
      return { name: `fam_${String.fromCharCode(97 + ((i * 7) % 26))}_${i}${type === 'counter' ? '_total' : ''}`, help: `Family ${i}.`, type };
    });
    const c = new RenderCache(s);
    let mismatches = 0;
    for (let step = 0; step < 300; step++) {
      const ops = 1 + Math.floor(rnd() * 6);
      for (let o = 0; o < ops; o++) {
        const desc = pick(fams);
        const labels = { l: pick(labelValues), m: String(Math.floor(rnd() * 4)) };
        const r = rnd();
        if (r < 0.12) {
          const fam = s.getFamily(desc.name);
          const victim = fam && pick([...fam.series.values()]);
          if (victim) s.remove(victim);
        } else if (r < 0.16) {
          s.set({ ...desc, help: `Family ${desc.name} ${pick(labelValues)}.` }, labels, 1);
        } else if (desc.type === 'histogram' || desc.type === 'summary') {
          const count = Math.floor(rnd() * 10);
          s.setDist(
            desc,
            labels,
            desc.type === 'histogram'
              ? {
                  count,
                  sum: pick(values),
                  buckets: [
                    [0.5, 1],
                    [pick([1, 2, Infinity]), count],
                  ],
                }
              : { count, sum: pick(values), quantiles: [[0.5, pick(values)]] },
          );
        } else if (r < 0.2) {
          s.setSample(desc, { labels, value: pick(values), timestampMs: 1_700_000_000_000 + Math.floor(rnd() * 1e6) });
        } else {
          s.set(desc, labels, pick(values));
        }
      }
      for (const format of ['text', 'openmetrics'] as const) {
        if (rnd() < 0.3) continue; // a format not scraped for a while
        const got = c.get(format, false);
        const want = Buffer.from(render(s, format), 'utf8');
        if (!got.equals(want)) mismatches++;
      }
    }
    t.equal(mismatches, 0, `seed ${seed}: every body exact`);
    t.ok(c.seriesRenders > 0);
  }
});

t.test('one changed series in a family is the only one formatted again; the other series are copied', async (t) => {
  const s = new Store();
  const fam = (i: number) => ({ name: `fam_${i}`, help: `Family ${i}.`, type: 'gauge' as const });
  for (let f = 0; f < 10; f++) for (let i = 0; i < 100; i++) s.set(fam(f), { i: String(i) }, f * 1000 + i + 0.5);
  const c = new RenderCache(s);
  c.get('text', false);
  t.equal(c.seriesRenders, 1000, 'the first render formats every series');
  for (let f = 0; f < 10; f++) s.set(fam(f), { i: '7' }, -f);
  t.equal(c.get('text', false).toString(), render(s, 'text'));
  t.equal(c.seriesRenders, 1010, 'one series in each family formatted again');
  t.equal(c.familyRenders, 20);

  s.set(fam(3), { i: '050a' }, 1); // a new series sorts between i="050" and i="051"
  s.remove([...s.getFamily('fam_4')!.series.values()][10]!);
  t.equal(c.get('text', false).toString(), render(s, 'text'));
  t.equal(c.seriesRenders, 1011, 'a new series is formatted, and a removal formats nothing');

  c.get('openmetrics', false);
  t.equal(c.seriesRenders, 2011, 'another format formats its own lines once');
});

t.test('a body already served never changes when later renders reuse its bytes', async (t) => {
  const s = new Store();
  for (let i = 0; i < 50; i++) s.set({ name: 'g', help: 'G.', type: 'gauge' }, { i: String(i) }, i);
  const c = new RenderCache(s);
  const first = c.get('text', false);
  const copy = Buffer.from(first);
  for (let r = 0; r < 5; r++) {
    s.set({ name: 'g', help: 'G.', type: 'gauge' }, { i: String(r) }, 1000 + r);
    s.set({ name: 'h', help: 'H.', type: 'gauge' }, { r: String(r) }, r);
    c.get('text', false);
  }
  t.ok(first.equals(copy));
  t.not(c.get('text', false).toString(), copy.toString());
});
