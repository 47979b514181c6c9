/**
 * Linear prediction with the semantics of PromQL's `predict_linear(v[range], t)` and `deriv(v[range])`: a least-
 * squares line through the samples of the range, with time in seconds measured from the evaluation time (so the
 * intercept is the fitted value *now*), sums kept with Kahan compensation, and a constant series treated exactly
 * (slope 0, no rounding noise). Fewer than two samples give no answer, as PromQL returns no series.
 */

export interface Sample {
  timestampMs: number;
  value: number;
}

/**
 * Kahan–Babuška (Neumaier) compensated sums, four at once, kept in one reused object: the analysis fits a line
 * through every watched series each round, and a pair returned per addition made four arrays per sample.
 */
class Sums {
  sum = 0;
  c = 0;

  reset(): void {
    this.sum = 0;
    this.c = 0;
  }

  add(inc: number): void {
    const t = this.sum + inc;
    if (Math.abs(this.sum) >= Math.abs(inc)) this.c += this.sum - t + inc;
    else this.c += inc - t + this.sum;
    this.sum = t;
  }

  /** The sum with its compensation. */
  get total(): number {
    return this.sum + this.c;
  }
}

const sx = new Sums();
const sy = new Sums();
const sxy = new Sums();
const sx2 = new Sums();

/** Slope (per second) and the fitted value at `interceptTimeMs`; undefined with fewer than two samples. */
export function linearRegression(samples: readonly Sample[], interceptTimeMs: number): { slope: number; intercept: number } | undefined {
  const n = samples.length;
  if (n < 2) return undefined;
  let constY = true;
  const y0 = samples[0]!.value;
  sx.reset();
  sy.reset();
  sxy.reset();
  sx2.reset();
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    if (s.value !== y0) constY = false;
    const x = (s.timestampMs - interceptTimeMs) / 1e3;
    sx.add(x);
    sy.add(s.value);
    sxy.add(x * s.value);
    sx2.add(x * x);
  }
  if (constY) {
    if (!Number.isFinite(y0)) return { slope: Number.NaN, intercept: Number.NaN };
    return { slope: 0, intercept: y0 };
  }
  const sumX = sx.total;
  const sumY = sy.total;
  const sumXY = sxy.total;
  const sumX2 = sx2.total;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return { slope, intercept };
}

/** `predict_linear`: the value the line through `samples` reaches `horizonSeconds` after `evalTimeMs`. */
export function predictLinear(samples: readonly Sample[], evalTimeMs: number, horizonSeconds: number): number | undefined {
  const r = linearRegression(samples, evalTimeMs);
  return r ? r.slope * horizonSeconds + r.intercept : undefined;
}

/** `deriv`: the per-second slope of the line through `samples`. */
export function deriv(samples: readonly Sample[]): number | undefined {
  return samples.length < 2 ? undefined : linearRegression(samples, samples[0]!.timestampMs)!.slope;
}

/**
 * Seconds from `evalTimeMs` until the line reaches `limit` (the time-to-exhaustion an alert on predict_linear
 * encodes): +∞ when it never does (flat, or moving away), 0 when already there; undefined with < 2 samples.
 */
export function secondsUntil(samples: readonly Sample[], evalTimeMs: number, limit: number): number | undefined {
  const r = linearRegression(samples, evalTimeMs);
  if (!r) return undefined;
  const gap = limit - r.intercept;
  if (gap === 0) return 0;
  if (r.slope === 0 || Math.sign(gap) !== Math.sign(r.slope)) return Number.POSITIVE_INFINITY;
  return gap / r.slope;
}
