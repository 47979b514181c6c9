/**
 * The Holt–Winters time-to-exhaustion forecast: double exponential smoothing over the samples of the forecast window
 * (the recurrence of PromQL's `holt_winters`, ./holt-winters.ts), then the seconds until level + trend·t reaches the
 * limit. Unlike the least-squares line, which weighs every sample of the window alike, the smoothed trend follows a
 * recent change of slope within a few samples. Non-seasonal: the additive-seasonal form needs two daily periods of
 * history, which the forecast window does not hold (docs/analysis.md).
 */
import { type SmoothingFactors, smoothedLine } from './holt-winters';
import type { Sample } from './predict-linear';

/** The defaults of analysis.forecast_smoothing_factor and analysis.forecast_trend_factor. */
export const defaultSmoothing: SmoothingFactors = { sf: 0.3, tf: 0.1 };

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
