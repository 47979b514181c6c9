/**
 * The two-sample distances against hand-computed cases and against scipy (`scipy.stats.ks_2samp`,
 * `scipy.stats.wasserstein_distance`) on the same samples: exact on raw samples, within the sketch's error bound on
 * DDSketches. The scipy part is skipped when python3 with scipy is absent.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { ksDistance, ksErrorBound, massesFromMap, massesFromSamples, wassersteinDistance, wassersteinErrorBound } from '../../agent/analysis/drift/distance';
import { addBucketIncrease, addSketch } from '../../agent/analysis/drift/sources';
import { DDSketch } from '../../agent/store/sketch';

/** Deterministic PRNG (mulberry32) so the samples and the scipy run agree. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function lognormal(r: () => number, n: number, mu: number, sigma: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    const v = r();
    out.push(Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)));
  }
  return out;
}

function sketchMasses(samples: readonly number[]) {
  const sk = new DDSketch();
  for (const x of samples) sk.add(x);
  const m = new Map<number, number>();
  addSketch(m, sk);
  return massesFromMap(m);
}

t.test('hand-computed cases', async (t) => {
  const a = massesFromSamples([1, 2, 3]);
  const b = massesFromSamples([2, 3, 4]);
  // F_a − F_b is 1/3 on [1, 4): KS 1/3, area 1/3 · 3 = 1.
  t.ok(Math.abs(ksDistance(a, b) - 1 / 3) < 1e-12);
  t.ok(Math.abs(wassersteinDistance(a, b) - 1) < 1e-12);
  t.equal(ksDistance(a, a), 0);
  t.equal(wassersteinDistance(a, a), 0);
  // Disjoint supports: KS 1; W1 is the shift of the means.
  t.equal(ksDistance(massesFromSamples([0, 0]), massesFromSamples([5, 5])), 1);
  t.equal(wassersteinDistance(massesFromSamples([0, 1]), massesFromSamples([5, 6])), 5);
  // Weights act as repeated samples.
  const w = massesFromMap(
    new Map([
      [1, 2],
      [3, 1],
    ]),
  );
  t.ok(Math.abs(ksDistance(w, massesFromSamples([1, 1, 3])) - 0) < 1e-12);
  t.ok(Number.isNaN(ksDistance(massesFromSamples([]), a)), 'an empty side has no distance');
  t.ok(Number.isNaN(wassersteinDistance(a, massesFromSamples([]))));
});

t.test('cumulative bucket increases and resets', async (t) => {
  const m = new Map<number, number>();
  t.equal(
    addBucketIncrease(m, undefined, [
      [1, 1],
      [Infinity, 1],
    ]),
    -1,
    'the first read only sets the baseline',
  );
  t.equal(
    addBucketIncrease(
      m,
      [
        [1, 2],
        [2, 5],
        [Infinity, 6],
      ],
      [
        [1, 4],
        [2, 9],
        [Infinity, 11],
      ],
    ),
    5,
  );
  // Increases per bucket: le=1 +2, (1,2] +2, +Inf +1 placed at the highest finite bound.
  t.same(
    [...m].sort((p, q) => p[0] - q[0]),
    [
      [1, 2],
      [2, 3],
    ],
  );
  t.equal(
    addBucketIncrease(
      m,
      [
        [1, 4],
        [Infinity, 9],
      ],
      [
        [1, 1],
        [Infinity, 2],
      ],
    ),
    -1,
    'a counter reset',
  );
  t.equal(
    addBucketIncrease(
      m,
      [
        [1, 4],
        [Infinity, 9],
      ],
      [
        [2, 5],
        [Infinity, 10],
      ],
    ),
    -1,
    'other bounds',
  );
});

const py = spawnSync('python3', ['-c', 'import scipy.stats'], { encoding: 'utf8' });
const haveScipy = py.status === 0;

function scipy(pairs: Array<[number[], number[]]>): Array<[number, number]> {
  const script = [
    'import json, sys',
    'from scipy.stats import ks_2samp, wasserstein_distance',
    'pairs = json.load(sys.stdin)',
    'print(json.dumps([[float(ks_2samp(a, b).statistic), float(wasserstein_distance(a, b))] for a, b in pairs]))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(pairs), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<[number, number]>;
}

t.test('agreement with scipy.stats on the same samples', { skip: haveScipy ? false : 'python3 with scipy is not installed' }, async (t) => {
  const r = rng(14);
  const cases: Array<[string, number[], number[]]> = [
    ['same distribution', lognormal(r, 5000, 3, 0.5), lognormal(r, 4000, 3, 0.5)],
    ['shifted median', lognormal(r, 5000, 3, 0.5), lognormal(r, 5000, 3.2, 0.5)],
    ['wider spread', lognormal(r, 3000, 2, 0.3), lognormal(r, 3000, 2, 0.9)],
    ['bimodal against unimodal', [...lognormal(r, 2000, 1, 0.2), ...lognormal(r, 2000, 4, 0.2)], lognormal(r, 4000, 2.5, 0.4)],
    ['small integers with ties', Array.from({ length: 500 }, () => Math.floor(r() * 10) + 1), Array.from({ length: 700 }, () => Math.floor(r() * 12) + 1)],
  ];
  const want = scipy(cases.map(([, a, b]) => [a, b]));
  for (let k = 0; k < cases.length; k++) {
    const [name, a, b] = cases[k]!;
    const [ks, w1] = want[k]!;
    const ra = massesFromSamples(a);
    const rb = massesFromSamples(b);
    t.ok(Math.abs(ksDistance(ra, rb) - ks) < 1e-9, `${name}: raw KS ${ksDistance(ra, rb)} = scipy ${ks}`);
    t.ok(Math.abs(wassersteinDistance(ra, rb) - w1) < 1e-9 * Math.max(1, w1), `${name}: raw W1 ${wassersteinDistance(ra, rb)} = scipy ${w1}`);
    const sa = sketchMasses(a);
    const sb = sketchMasses(b);
    const ksBound = ksErrorBound(sa, sb);
    const w1Bound = wassersteinErrorBound(sa, sb, 0.01);
    const ksGot = ksDistance(sa, sb);
    const w1Got = wassersteinDistance(sa, sb);
    t.ok(Math.abs(ksGot - ks) <= ksBound + 1e-12, `${name}: sketch KS ${ksGot} within ${ksBound} of scipy ${ks}`);
    t.ok(Math.abs(w1Got - w1) <= w1Bound, `${name}: sketch W1 ${w1Got} within ${w1Bound} of scipy ${w1}`);
    t.ok(sa.xs.length < a.length, `${name}: the sketch holds fewer points (${sa.xs.length}) than samples`);
  }
  // The distances separate drift from no drift by far more than the bounds.
  const [same, shifted] = [want[0]!, want[1]!];
  t.ok(shifted[0] > 5 * same[0], 'a shifted median gives a much larger KS than the same distribution');
});
