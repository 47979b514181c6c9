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

/** Kahan–Babuška (Neumaier) compensated addition: returns the new sum and compensation. */
function kahanAdd(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** Slope (per second) and the fitted value at `interceptTimeMs`; undefined with fewer than two samples. */
export function linearRegression(samples: readonly Sample[], interceptTimeMs: number): { slope: number; intercept: number } | undefined {
  const n = samples.length;
  if (n < 2) return undefined;
  let constY = true;
  const y0 = samples[0]!.value;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  for (const s of samples) {
    if (s.value !== y0) constY = false;
    const x = (s.timestampMs - interceptTimeMs) / 1e3;
    [sumX, cX] = kahanAdd(x, sumX, cX);
    [sumY, cY] = kahanAdd(s.value, sumY, cY);
    [sumXY, cXY] = kahanAdd(x * s.value, sumXY, cXY);
    [sumX2, cX2] = kahanAdd(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(y0)) return { slope: Number.NaN, intercept: Number.NaN };
    return { slope: 0, intercept: y0 };
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
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
