/**
 * Streaming anomaly detector for one series. Each point is scored from that point and the points before it only,
 * in O(1) time and fixed memory (a few dozen numbers), then learnt. The score is in [0, 1]; the flag is
 * score ≥ `threshold`. No randomness: the same input always gives the same scores.
 *
 * The score is range novelty at three scales, the largest of:
 *  - the value itself beyond the range the value has taken (spikes, drops, new levels);
 *  - a smoothed value (exponentially weighted mean) beyond its range (sustained shifts that single points hide);
 *  - the volatility (exponentially weighted mean of |xₜ − xₜ₋₁|) beyond its range (the series turning noisy, or
 *    going flat when it used to move);
 * each as (distance beyond the range ÷ the range) ÷ (2 × its margin), capped at 1, so a point exactly one margin
 * beyond scores 0.5. After a flag, scores are damped for a short while: one event is one anomaly, and repeated
 * alerts for it only cost.
 */
import { DailyProfile } from './daily-profile';
import { RangeNovelty } from './range-novelty';

const dayMs = 86_400_000;

export interface DetectorOptions {
  /** Flag threshold on the score. */
  threshold: number;
  /** Points learnt before any score above 0 (the ranges are still forming). */
  warmupPoints: number;
  /** Points over which a range forgets (its ends creep towards recent values by range / memory per point). */
  rangeMemory: number;
  /** Margin, as a fraction of the range, at which the value scores 0.5. */
  valueMargin: number;
  /** Smoothing factor of the smoothed value, and its margin. */
  smoothAlpha: number;
  smoothMargin: number;
  /** Smoothing factor of the volatility, and its margin. */
  volatilityAlpha: number;
  volatilityMargin: number;
  /** Points damped after a flag, and the factor applied to their score. */
  suppressPoints: number;
  suppressFactor: number;
  /** Points by which the smoothed value's and the volatility's ranges learn late (see RangeNovelty). */
  featureLag: number;
  dailyBins: number;
  dailyAlpha: number;
  dailyMinDays: number;
  dailySmoothAlpha: number;
  dailyMargin: number;
}

/** Chosen on the NAB corpus part (bench/nab.ts); see docs/analysis.md for the figures and how they were chosen. */
export const defaultDetectorOptions: Readonly<DetectorOptions> = Object.freeze({
  threshold: 0.5,
  warmupPoints: 150,
  rangeMemory: 20000,
  valueMargin: 0.05,
  smoothAlpha: 0.05,
  smoothMargin: 0.07,
  volatilityAlpha: 0.05,
  volatilityMargin: 0.25,
  suppressPoints: 30,
  suppressFactor: 0.3,
  featureLag: 10,
  dailyBins: 48,
  dailyAlpha: 0.2,
  dailyMinDays: 2,
  dailySmoothAlpha: 0.1,
  dailyMargin: 0.15,
});

export interface DetectorResult {
  score: number;
  flag: boolean;
}

export class AnomalyDetector {
  readonly #o: DetectorOptions;
  readonly #valueRange: RangeNovelty;
  readonly #smoothRange: RangeNovelty;
  readonly #volatilityRange: RangeNovelty;
  #n = 0;
  #last = 0;
  #smooth = 0;
  #volatility = 0;
  #sinceFlag = Number.POSITIVE_INFINITY;
  readonly #daily: DailyProfile;
  readonly #dailyRange: RangeNovelty;
  #dailyResidual = Number.NaN;
  #dailySince = Number.NaN;

  constructor(options: Partial<DetectorOptions> = {}) {
    const o = { ...defaultDetectorOptions, ...options };
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`detector option ${k} must be a finite number ≥ 0, got ${String(v)}`);
    }
    this.#o = o;
    this.#valueRange = new RangeNovelty(o.rangeMemory);
    this.#smoothRange = new RangeNovelty(o.rangeMemory, o.featureLag);
    this.#volatilityRange = new RangeNovelty(o.rangeMemory, o.featureLag);
    this.#daily = new DailyProfile(Math.max(1, Math.round(o.dailyBins)), o.dailyAlpha, o.dailyMinDays);
    this.#dailyRange = new RangeNovelty(o.rangeMemory, o.featureLag);
  }

  get options(): Readonly<DetectorOptions> {
    return this.#o;
  }

  /**
   * Scores the next point of the series, then learns it. The timestamp is accepted for the API's sake (points are
   * taken in arrival order). A non-finite value scores 0 and is not learnt.
   */
  update(timestampMs: number, value: number): DetectorResult {
    if (!Number.isFinite(value)) return { score: 0, flag: false };
    const o = this.#o;
    const first = this.#n === 0;
    this.#n++;
    this.#smooth = first ? value : this.#smooth + o.smoothAlpha * (value - this.#smooth);
    this.#volatility = this.#n <= 2 ? Math.abs(value - this.#last) * (first ? 0 : 1) : this.#volatility + o.volatilityAlpha * (Math.abs(value - this.#last) - this.#volatility);
    this.#last = value;
    // Every range is judged before it learns the point (RangeNovelty.update), so no point is its own reference.
    const novelty = Math.max(
      this.#valueRange.update(value) / (2 * o.valueMargin),
      this.#smoothRange.update(this.#smooth) / (2 * o.smoothMargin),
      // The volatility is an average of differences: it has no meaning (and would pin its range at 0) until about
      // 1/alpha differences have gone into it.
      this.#n * o.volatilityAlpha > 1 ? this.#volatilityRange.update(this.#volatility) / (2 * o.volatilityMargin) : 0,
    );
    const r = this.#daily.update(timestampMs, value);
    let dailyNovelty = 0;
    if (!Number.isNaN(r)) {
      this.#dailyResidual = Number.isNaN(this.#dailyResidual) ? r : this.#dailyResidual + o.dailySmoothAlpha * (r - this.#dailyResidual);
      dailyNovelty = this.#dailyRange.update(this.#dailyResidual) / (2 * o.dailyMargin);
      // The residual's own range needs a whole day of residuals (every hour's usual deviation) before it judges.
      if (Number.isNaN(this.#dailySince)) this.#dailySince = timestampMs;
      if (!(timestampMs - this.#dailySince >= dayMs)) dailyNovelty = 0;
    }
    let score = this.#n > o.warmupPoints ? Math.min(1, Math.max(novelty, dailyNovelty)) : 0;
    if (this.#sinceFlag < o.suppressPoints) score *= o.suppressFactor;
    this.#sinceFlag++;
    const flag = score >= o.threshold;
    if (flag) this.#sinceFlag = 0;
    return { score, flag };
  }
}
