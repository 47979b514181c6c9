/**
 * Functions over a range of samples (rate, increase, delta and the *_over_time family), with the arithmetic of
 * Prometheus 2.x's promql/functions.go: extrapolatedRate, instantValue, linearRegression, the running mean.
 * Each takes one series' points and returns a value, or undefined to drop the series from the result.
 */
import type { MatrixValue, SeriesWindow } from './value';

export type RangeFn = (w: SeriesWindow, m: MatrixValue, evalMs: number, arg: number) => number | undefined;

/** rate, increase and delta: the change over the window, extrapolated toward its bounds. */
function extrapolatedRate(w: SeriesWindow, m: MatrixValue, isCounter: boolean, isRate: boolean): number | undefined {
  const n = w.ts.length;
  if (n < 2) return undefined;
  const firstT = w.ts[0]!;
  const lastT = w.ts[n - 1]!;
  const firstV = w.vs[0]!;
  let result = w.vs[n - 1]! - firstV;
  if (isCounter) {
    let last = 0;
    for (let i = 0; i < n; i++) {
      const v = w.vs[i]!;
      if (v < last) result += last;
      last = v;
    }
  }
  let durationToStart = (firstT - m.startMs) / 1000;
  const durationToEnd = (m.endMs - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && result > 0 && firstV >= 0) {
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= m.rangeMs / 1000;
  return result * factor;
}

/** irate and idelta: the last two samples. */
function instantValue(w: SeriesWindow, isRate: boolean): number | undefined {
  const n = w.ts.length;
  if (n < 2) return undefined;
  const last = w.vs[n - 1]!;
  const prev = w.vs[n - 2]!;
  const result = isRate && last < prev ? last : last - prev;
  const interval = w.ts[n - 1]! - w.ts[n - 2]!;
  if (interval === 0) return undefined;
  return isRate ? result / (interval / 1000) : result;
}

/** Least-squares slope and intercept, x in seconds from `interceptMs`. */
export function linearRegression(w: SeriesWindow, interceptMs: number): [number, number] {
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumX2 = 0;
  for (let i = 0; i < w.ts.length; i++) {
    const x = (w.ts[i]! - interceptMs) / 1000;
    const y = w.vs[i]!;
    n += 1;
    sumY += y;
    sumX += x;
    sumXY += x * y;
    sumX2 += x * x;
  }
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

/** Kahan-Babuska-Neumaier summation step (Prometheus's kahanSumInc). */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

function avg(vs: ArrayLike<number>): number {
  let mean = 0;
  let c = 0;
  let count = 0;
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i]!;
    count++;
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
      if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
      if (Number.isFinite(v)) continue;
    }
    [mean, c] = kahanSumInc(v / count - mean / count, mean, c);
  }
  return !Number.isFinite(mean) && !Number.isNaN(mean) ? mean : mean + c;
}

function stdvar(vs: ArrayLike<number>): number {
  let count = 0;
  let mean = 0;
  let aux = 0;
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i]!;
    count++;
    const delta = v - mean;
    mean += delta / count;
    aux += delta * (v - mean);
  }
  return aux / count;
}

/** Prometheus's quantile over a set of values: linear interpolation between the closest ranks. */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = values.slice().sort((a, b) => (Number.isNaN(a) ? -1 : Number.isNaN(b) ? 1 : a - b));
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

export const rangeFns: Readonly<Record<string, RangeFn>> = {
  rate: (w, m) => extrapolatedRate(w, m, true, true),
  increase: (w, m) => extrapolatedRate(w, m, true, false),
  delta: (w, m) => extrapolatedRate(w, m, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  deriv: (w) => (w.ts.length < 2 ? undefined : linearRegression(w, w.ts[0]!)[0]),
  predict_linear: (w, _m, evalMs, seconds) => {
    if (w.ts.length < 2) return undefined;
    const [slope, intercept] = linearRegression(w, evalMs);
    return slope * seconds + intercept;
  },
  changes: (w) => {
    let changes = 0;
    for (let i = 1; i < w.vs.length; i++) {
      const cur = w.vs[i]!;
      const prev = w.vs[i - 1]!;
      if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
    }
    return changes;
  },
  resets: (w) => {
    let resets = 0;
    for (let i = 1; i < w.vs.length; i++) if (w.vs[i]! < w.vs[i - 1]!) resets++;
    return resets;
  },
  avg_over_time: (w) => avg(w.vs),
  min_over_time: (w) => {
    let min = w.vs[0]!;
    for (let i = 0; i < w.vs.length; i++) if (w.vs[i]! < min || Number.isNaN(min)) min = w.vs[i]!;
    return min;
  },
  max_over_time: (w) => {
    let max = w.vs[0]!;
    for (let i = 0; i < w.vs.length; i++) if (w.vs[i]! > max || Number.isNaN(max)) max = w.vs[i]!;
    return max;
  },
  sum_over_time: (w) => {
    let sum = 0;
    let c = 0;
    for (let i = 0; i < w.vs.length; i++) [sum, c] = kahanSumInc(w.vs[i]!, sum, c);
    return !Number.isFinite(sum) && !Number.isNaN(sum) ? sum : sum + c;
  },
  count_over_time: (w) => w.vs.length,
  last_over_time: (w) => w.vs[w.vs.length - 1],
  present_over_time: () => 1,
  stdvar_over_time: (w) => stdvar(w.vs),
  stddev_over_time: (w) => Math.sqrt(stdvar(w.vs)),
  quantile_over_time: (w, _m, _t, q) => quantile(q, Array.from(w.vs)),
};
