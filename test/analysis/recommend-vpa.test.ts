/**
 * Right-sizing on synthetic usage whose recommendation is worked out here from the Vertical Pod Autoscaler's
 * formulas (bucket i of an exponential histogram starts at first · (1.05^i − 1) / 0.05; a percentile answers the end
 * of its bucket; margin 1.15; confidence multipliers; minimums 25m and 250Mi), independently of the module's code.
 */
import t from 'tap';
import { DecayingHistogram, kCpuShape } from '../../agent/analysis/recommend/histogram';
import { ContainerUsage } from '../../agent/analysis/recommend/vpa';

const MIN = 60_000;
const DAY = 1440 * MIN;
const MiB = 1024 * 1024;
const t0 = Date.UTC(2026, 0, 1);

/** VPA's bucket of `v` and the end of that bucket, written out from the formulas. */
function bucketEnd(v: number, first: number): number {
  const i = Math.floor(Math.log((v * 0.05) / first + 1) / Math.log(1.05));
  return (first * (Math.pow(1.05, i + 1) - 1)) / 0.05;
}
const close = (got: number, want: number) => Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));

t.test('CPU: 80 % of the minutes at 0.5 cores, 20 % at 2 cores, for 7 days', async (t) => {
  const u = new ContainerUsage();
  for (let i = 0; i < 7 * 1440; i++) u.addCpu(t0 + i * MIN, i % 5 === 4 ? 2 : 0.5);
  u.addMemory(t0, 300 * MiB);
  const r = u.recommend()!;
  const c = Math.min((7 * 1440 - 1) / 1440, 7);
  t.ok(close(r.confidenceDays, c), `confidence ${r.confidenceDays} days`);
  const low = bucketEnd(0.5, 0.01); // 0.2 · (1.05^26 − 1)
  const high = bucketEnd(2, 0.01); // 0.2 · (1.05^50 − 1)
  t.ok(close(low, 0.2 * (Math.pow(1.05, 26) - 1)) && close(high, 0.2 * (Math.pow(1.05, 50) - 1)), 'bucket arithmetic');
  t.ok(close(r.cpuCores.target, high * 1.15), `target p90 × 1.15: ${r.cpuCores.target}`);
  t.ok(close(r.cpuCores.lower, low * 1.15 * Math.pow(1 + 0.001 / c, -2)), `lower p50 × 1.15 × (1 + 0.001/c)^−2: ${r.cpuCores.lower}`);
  t.ok(close(r.cpuCores.upper, high * 1.15 * (1 + 1 / c)), `upper p95 × 1.15 × (1 + 1/c): ${r.cpuCores.upper}`);
});

t.test('memory: daily peaks, then an OOM kill bumps the last peak to max(+100 MiB, ×1.2)', async (t) => {
  const u = new ContainerUsage();
  for (let i = 0; i < 3 * 1440; i++) {
    u.addCpu(t0 + i * MIN, 0.2);
    u.addMemory(t0 + i * MIN, (i % 1440 === 700 ? 300 : 200) * MiB);
  }
  let r = u.recommend()!;
  const peak = bucketEnd(300 * MiB, 1e7);
  t.ok(close(r.memoryBytes.target, peak * 1.15), `target from the daily peaks (300 MiB): ${r.memoryBytes.target}`);
  t.ok(r.memoryBytes.target > 300 * MiB * 1.15 && r.memoryBytes.target < 300 * MiB * 1.15 * 1.06, 'within one bucket above peak × 1.15');
  // OOM in the third window: used = max(request 0, peak 300 MiB); needed = max(400 MiB, 360 MiB) = 400 MiB replaces
  // that window's peak. Weights of the three windows ≈ 1, 2, 4: p50 and p90 fall in the newest window.
  u.addOom(t0 + 3 * 1440 * MIN - MIN);
  r = u.recommend()!;
  const bumped = bucketEnd(400 * MiB, 1e7);
  t.ok(close(r.memoryBytes.target, bumped * 1.15), `target after the OOM: ${r.memoryBytes.target}`);
  const c = r.confidenceDays;
  t.ok(close(r.memoryBytes.lower, bumped * 1.15 * Math.pow(1 + 0.001 / c, -2)), 'lower after the OOM');
  // With a 1 GiB request the bump is ×1.2 of the request (1.2 GiB > 1 GiB + 100 MiB).
  const v = new ContainerUsage();
  v.addCpu(t0, 0.1);
  v.addMemory(t0, 200 * MiB);
  v.addOom(t0 + MIN, 1024 * MiB);
  t.ok(close(v.recommend()!.memoryBytes.target, bucketEnd(1.2 * 1024 * MiB, 1e7) * 1.15), 'OOM bump ×1.2 of the request');
});

t.test('minimums: 25 millicores and 250 MiB', async (t) => {
  const u = new ContainerUsage();
  for (let i = 0; i < 1440; i++) {
    u.addCpu(t0 + i * MIN, 0.001);
    u.addMemory(t0 + i * MIN, 10 * MiB);
  }
  const r = u.recommend()!;
  t.equal(r.cpuCores.target, 0.025);
  t.equal(r.cpuCores.lower, 0.025);
  t.equal(r.memoryBytes.target, 250 * MiB);
  t.equal(new ContainerUsage().recommend(), undefined, 'no recommendation before a CPU sample');
});

t.test('decay: a sample one half-life older weighs half', async (t) => {
  const h = new DecayingHistogram(kCpuShape);
  h.add(1, 1, t0);
  h.add(3, 1, t0 + DAY);
  // Weights 1 (at 1 core) and 2 (at 3 cores): p33 lands on the first bucket, p34 on the second.
  t.ok(close(h.percentile(0.33), bucketEnd(1, 0.01)));
  t.ok(close(h.percentile(0.34), bucketEnd(3, 0.01)));
  t.ok(close(h.totalWeight, 3));
  // Far-future samples re-anchor the weights instead of overflowing.
  h.add(3, 1, t0 + 200 * DAY);
  t.ok(Number.isFinite(h.totalWeight) && h.totalWeight > 0);
  t.ok(close(h.percentile(0.5), bucketEnd(3, 0.01)));
  t.equal(h.add(NaN, 1, t0), false, 'bad samples are refused');
  t.equal(h.add(-1, 1, t0), false);
  const j = h.toJSON();
  const back = new DecayingHistogram(kCpuShape);
  t.equal(back.load({ referenceMs: j.referenceMs, buckets: [...j.buckets, [99999, 1], [3, NaN]] }), 2, 'bad entries skipped on load');
  t.ok(close(back.percentile(0.5), h.percentile(0.5)) && close(back.totalWeight, h.totalWeight), 'state round-trips');
});
