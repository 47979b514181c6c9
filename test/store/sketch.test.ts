import t from 'tap';
import { DDSketch } from '../../agent/store/sketch';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

t.test('quantiles stay within the stated 1% relative error', async (t) => {
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const data: number[] = [];
  const sk = new DDSketch();
  for (let i = 0; i < 20000; i++) {
    const v = Math.exp(rnd() * 12 - 4) * (i % 10 === 0 ? -1 : 1);
    data.push(v);
    sk.add(v);
  }
  data.sort((a, b) => a - b);
  for (const q of [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]) {
    const want = exactQuantile(data, q);
    const got = sk.quantile(q);
    t.ok(Math.abs(got - want) <= Math.abs(want) * 0.01 + 1e-12, `q${q}: ${got} vs ${want}`);
  }
  t.equal(sk.count, 20000);
  t.equal(sk.quantile(0), data[0]);
  t.equal(sk.quantile(1), data[data.length - 1]);
});

t.test('merge equals one sketch of all the data; JSON round-trips', async (t) => {
  const a = new DDSketch();
  const b = new DDSketch();
  const all = new DDSketch();
  for (let i = 1; i <= 1000; i++) {
    (i % 2 ? a : b).add(i * 0.37);
    all.add(i * 0.37);
  }
  a.merge(b);
  t.same(a.toJSON().p, all.toJSON().p);
  t.equal(a.count, all.count);
  const back = DDSketch.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  for (const q of [0.1, 0.5, 0.9]) t.equal(back.quantile(q), a.quantile(q));
  t.throws(() => a.merge(new DDSketch(0.02)));
});

t.test('zero, weights and empty sketches', async (t) => {
  const s = new DDSketch();
  t.ok(Number.isNaN(s.quantile(0.5)));
  s.add(0, 3);
  s.add(10, 1);
  t.equal(s.count, 4);
  t.equal(s.quantile(0.5), 0);
  t.same(s.cumulativeCounts([0, 5, 20]), [
    [0, 3],
    [5, 3],
    [20, 4],
  ]);
  s.add(NaN);
  s.add(Infinity);
  t.equal(s.count, 4, 'non-finite values are ignored');
});

t.test('bucket count is bounded', async (t) => {
  const s = new DDSketch();
  const data: number[] = [];
  for (let i = -30000; i < 30000; i++) data.push(Math.pow(10, i / 1000));
  for (const v of data) s.add(v);
  t.ok(s.toJSON().p.length <= 2048);
  const want = exactQuantile(data, 0.99);
  t.ok(Math.abs(s.quantile(0.99) - want) <= want * 0.01, 'the high quantiles keep their accuracy after collapsing');
});
