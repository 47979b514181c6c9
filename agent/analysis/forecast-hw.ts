/**
 * The Holt–Winters time-to-exhaustion forecast: double exponential smoothing over the samples of the forecast window
 * (the recurrence of PromQL's `holt_winters`, ./holt-winters.ts), then the seconds until level + trend·t reaches the
 * limit. Unlike the least-squares line, which weighs every sample of the window alike, the smoothed trend follows a
 * recent change of slope within a few samples. Non-seasonal: the additive-seasonal form needs two daily periods of
 * history, which the forecast window does not hold (docs/analysis.md).
 */
import type { Sample } from './predict-linear';

export interface SmoothingFactors {
  /** Smoothing factor of the level, in (0, 1). */
  sf: number;
  /** Smoothing factor of the trend, in (0, 1). */
  tf: number;
}

/** The defaults of analysis.forecast_smoothing_factor and analysis.forecast_trend_factor. */
export const defaultSmoothing: SmoothingFactors = { sf: 0.3, tf: 0.1 };

/**
 * The level and per-step trend after the last value. The level is exactly `doubleExponentialSmoothing`'s (PromQL's
 * `holt_winters`); the trend gets its final update from the last two levels, which PromQL's loop leaves out because
 * it only returns the level. Undefined with fewer than two values or factors outside (0, 1).
 */
export function smoothedLine(values: readonly number[], f: SmoothingFactors): { level: number; trend: number } | undefined {
  const { sf, tf } = f;
  if (!(sf > 0 && sf < 1) || !(tf > 0 && tf < 1) || values.length < 2) return undefined;
  let prev = values[0]!;
  let level = values[0]!;
  let trend = values[1]! - values[0]!;
  for (let i = 1; i < values.length; i++) {
    if (i > 1) trend = tf * (level - prev) + (1 - tf) * trend;
    const next = sf * values[i]! + (1 - sf) * (level + trend);
    prev = level;
    level = next;
  }
  trend = tf * (level - prev) + (1 - tf) * trend;
  return { level, trend };
}

/**
 * Seconds from `evalTimeMs` until the smoothed line reaches `limit`: the per-step trend is turned into a per-second
 * one with the samples' mean spacing, and the level is carried from the last sample to `evalTimeMs`. +∞ when the
 * trend is flat or moves away, 0 when already there; undefined with fewer than two samples.
 */
export function smoothedSecondsUntil(samples: readonly Sample[], evalTimeMs: number, limit: number, f: SmoothingFactors): number | undefined {
  const n = samples.length;
  if (n < 2) return undefined;
  const spanS = (samples[n - 1]!.timestampMs - samples[0]!.timestampMs) / 1000;
  if (!(spanS > 0)) return undefined;
  const line = smoothedLine(
    samples.map((s) => s.value),
    f,
  );
  if (!line) return undefined;
  const slope = line.trend / (spanS / (n - 1));
  const now = line.level + (slope * (evalTimeMs - samples[n - 1]!.timestampMs)) / 1000;
  if (!Number.isFinite(now) || !Number.isFinite(slope)) return undefined;
  const gap = limit - now;
  if (gap === 0) return 0;
  if (slope === 0 || Math.sign(gap) !== Math.sign(slope)) return Number.POSITIVE_INFINITY;
  return gap / slope;
}
