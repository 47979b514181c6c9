import t from 'tap';
import { AnomalyDetector } from '../../agent/analysis/detector';

/** Deterministic uniform noise in [−1, 1) (a 32-bit LCG), so the tests never depend on luck. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** A daily-looking sine (period 288) with bounded noise. */
function series(n: number, seed = 7): number[] {
  const r = noise(seed);
  return Array.from({ length: n }, (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * r());
}

function run(values: number[], d = new AnomalyDetector()): Array<{ score: number; flag: boolean }> {
  return values.map((v, i) => d.update(i * 300_000, v));
}

t.test('scores stay in [0, 1] on wild input, and bad values do not break it', async (t) => {
  const r = noise(1);
  const values = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? 1e300 * r() : i % 89 === 0 ? -1e-300 : r() * 10 ** Math.round(6 * r())));
  values.splice(100, 0, Number.NaN, Number.POSITIVE_INFINITY);
  const out = run(values);
  t.equal(out.filter(({ score }) => !(score >= 0 && score <= 1)).length, 0, 'every score in [0, 1]');
  t.equal(out.filter(({ score, flag }) => flag !== score >= 0.5).length, 0, 'flag is score ≥ threshold');
  t.ok(
    out.some((p) => p.flag),
    'the wild values are flagged',
  );
  const flat = run(new Array(2000).fill(3));
  t.ok(
    flat.every((p) => p.score === 0),
    'a constant series is never anomalous',
  );
});

t.test('deterministic: the same input gives the same scores', async (t) => {
  const v = series(3000);
  t.same(run(v), run(v));
});

t.test('flags a level step promptly and not the normal pattern before it', async (t) => {
  const v = series(4000);
  for (let i = 3000; i < v.length; i++) v[i]! += 15;
  const out = run(v);
  const before = out.slice(600, 3000).filter((p) => p.flag).length;
  t.equal(before, 0, 'no flags on the normal pattern');
  const first = out.findIndex((p, i) => i >= 3000 && p.flag);
  t.ok(first >= 3000 && first < 3010, `step at 3000 flagged at ${first}`);
});

t.test('flags a single spike at the spike', async (t) => {
  const v = series(4000);
  v[3500] = 75;
  const out = run(v);
  t.ok(out[3500]!.flag, `spike score ${out[3500]!.score}`);
  t.equal(out.slice(600, 3500).filter((p) => p.flag).length, 0);
});

t.test('flags a series that goes flat when it used to move', async (t) => {
  const r = noise(3);
  const v = Array.from({ length: 4000 }, (_, i) => (i < 3000 ? 50 + 5 * r() : 50));
  const out = run(v);
  // Volatility of pure noise wanders too: allow a rare false alarm, not a habit.
  t.ok(out.slice(600, 3000).filter((p) => p.flag).length <= 1, 'at most one false alarm in 2400 noisy points');
  t.ok(
    out.slice(3000, 3100).some((p) => p.flag),
    'flatline flagged',
  );
});

t.test('no look-ahead: changing later points never changes an earlier score', async (t) => {
  const v = series(3000);
  const base = run(v);
  const changed = v.slice();
  for (let i = 1500; i < changed.length; i++) changed[i] = changed[i]! * -3 + 1000;
  const other = run(changed);
  t.same(other.slice(0, 1500), base.slice(0, 1500));
  t.notSame(other.slice(1500), base.slice(1500), 'the change itself is seen');
});

t.test('options: defaults visible, bad values refused', async (t) => {
  t.equal(new AnomalyDetector().options.threshold, 0.5);
  t.equal(new AnomalyDetector({ threshold: 0.7 }).options.threshold, 0.7);
  t.throws(() => new AnomalyDetector({ valueMargin: Number.NaN }), RangeError);
  t.throws(() => new AnomalyDetector({ suppressPoints: -1 }), RangeError);
});

t.test('flags a day that breaks the daily rhythm while staying inside the usual range', async (t) => {
  // 5-minute points, 288 a day: a daily bump; on day 10 the bump comes six hours late. Every value stays inside the
  // range seen before, so only the comparison with earlier days at the same hour can see it.
  const day = 288;
  const r = noise(11);
  const v = Array.from({ length: 12 * day }, (_, i) => {
    const hour = ((i % day) / day) * 24;
    const late = Math.floor(i / day) === 10 ? 6 : 0;
    return 10 + (Math.abs(hour - 12 - late) < 3 ? 20 : 0) + r();
  });
  const out = run(v);
  t.ok(out.slice(4 * day, 10 * day).filter((p) => p.flag).length <= 1, 'quiet on ordinary days');
  t.ok(
    out.slice(10 * day, 11 * day).some((p) => p.flag),
    'the late day is flagged',
  );
  const plain = new AnomalyDetector({ dailyMargin: 1e9 });
  t.notOk(
    run(v, plain)
      .slice(10 * day, 11 * day)
      .some((p) => p.flag),
    'range novelty alone does not see it',
  );
});
