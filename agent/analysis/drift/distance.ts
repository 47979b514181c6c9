/**
 * Two-sample distances between distributions held as weighted point masses: the Kolmogorov–Smirnov statistic
 * (largest gap between the two CDFs) and the Wasserstein-1 distance (area between them). Both walk the two sorted
 * supports once, so they cost O(buckets) on sketches and bucketed histograms, not O(samples).
 *
 * On raw samples (each value with weight 1) the results are exactly `scipy.stats.ks_2samp(a, b).statistic` and
 * `scipy.stats.wasserstein_distance(a, b)`. On a DDSketch, each value stands at its bucket's representative, which is
 * within relative accuracy α of every value in the bucket; the error bounds below follow from that:
 *
 * - KS: inside bucket i the quantised CDFs jump at the same point for both sides, so the true gap differs from the
 *   quantised one by at most max(pa_i, pb_i), the larger share of either side in one bucket (`ksErrorBound`).
 * - W1: moving every value of a by at most α·|x| moves W1 by at most α·E|X_a| (the same for b), so the error is at most
 *   α·(E|X_a| + E|X_b|) (`wassersteinErrorBound`).
 */

/** A distribution as sorted support points with their weights (counts, possibly fractional). */
export interface Masses {
  readonly xs: Float64Array;
  readonly ws: Float64Array;
  readonly total: number;
}

export const emptyMasses: Masses = { xs: new Float64Array(0), ws: new Float64Array(0), total: 0 };

/** Masses from a value → weight map (non-positive and non-finite entries are skipped). */
export function massesFromMap(m: ReadonlyMap<number, number>): Masses {
  const keys: number[] = [];
  for (const [x, w] of m) if (Number.isFinite(x) && w > 0) keys.push(x);
  keys.sort((p, q) => p - q);
  const xs = new Float64Array(keys.length);
  const ws = new Float64Array(keys.length);
  let total = 0;
  for (let i = 0; i < keys.length; i++) {
    xs[i] = keys[i]!;
    ws[i] = m.get(keys[i]!)!;
    total += ws[i]!;
  }
  return { xs, ws, total };
}

/** Masses of raw samples, each of weight 1 (the reference the sketch path is checked against). */
export function massesFromSamples(samples: readonly number[]): Masses {
  const m = new Map<number, number>();
  for (const x of samples) if (Number.isFinite(x)) m.set(x, (m.get(x) ?? 0) + 1);
  return massesFromMap(m);
}

/** Sup over x of |F_a(x) − F_b(x)|; NaN when either side is empty. */
export function ksDistance(a: Masses, b: Masses): number {
  if (!(a.total > 0 && b.total > 0)) return NaN;
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let d = 0;
  while (i < a.xs.length || j < b.xs.length) {
    const x = Math.min(i < a.xs.length ? a.xs[i]! : Infinity, j < b.xs.length ? b.xs[j]! : Infinity);
    while (i < a.xs.length && a.xs[i] === x) ca += a.ws[i++]!;
    while (j < b.xs.length && b.xs[j] === x) cb += b.ws[j++]!;
    const gap = Math.abs(ca / a.total - cb / b.total);
    if (gap > d) d = gap;
  }
  return Math.min(d, 1);
}

/** ∫ |F_a(x) − F_b(x)| dx over the merged support; NaN when either side is empty. */
export function wassersteinDistance(a: Masses, b: Masses): number {
  if (!(a.total > 0 && b.total > 0)) return NaN;
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let area = 0;
  let prev = NaN;
  while (i < a.xs.length || j < b.xs.length) {
    const x = Math.min(i < a.xs.length ? a.xs[i]! : Infinity, j < b.xs.length ? b.xs[j]! : Infinity);
    if (!Number.isNaN(prev)) area += Math.abs(ca / a.total - cb / b.total) * (x - prev);
    while (i < a.xs.length && a.xs[i] === x) ca += a.ws[i++]!;
    while (j < b.xs.length && b.xs[j] === x) cb += b.ws[j++]!;
    prev = x;
  }
  return area;
}

/** Largest share either side holds in one support point: the KS error bound of a bucketed pair. */
export function ksErrorBound(a: Masses, b: Masses): number {
  let m = 0;
  for (let i = 0; i < a.ws.length; i++) m = Math.max(m, a.ws[i]! / a.total);
  for (let j = 0; j < b.ws.length; j++) m = Math.max(m, b.ws[j]! / b.total);
  return m;
}

/**
 * α·(E|X_a| + E|X_b|): the W1 error bound of two sketches of relative accuracy α. The means are read from the
 * representatives, which may sit α below the values, hence the 1/(1 − α).
 */
export function wassersteinErrorBound(a: Masses, b: Masses, relativeAccuracy: number): number {
  return (relativeAccuracy / (1 - relativeAccuracy)) * (meanAbs(a) + meanAbs(b));
}

function meanAbs(m: Masses): number {
  let s = 0;
  for (let i = 0; i < m.xs.length; i++) s += Math.abs(m.xs[i]!) * m.ws[i]!;
  return m.total > 0 ? s / m.total : 0;
}
