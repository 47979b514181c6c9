/**
 * Streaming anomaly detector for one series. Each point is scored from that point and the points before it only,
 * in O(1) time and fixed memory, then learnt. The score is in [0, 1]; the flag is score ≥ `threshold`.
 *
 * Three signals, combined:
 *  - surprise: a raw score per point, the larger of (a) the prediction residual against an exponentially weighted
 *    mean, in units of the typical residual, and (b) sequence novelty (1 − P(level | previous level), see
 *    TransitionModel). Raw scores go through the anomaly likelihood (AnomalyLikelihood), which asks whether the
 *    recent raw scores are high *for this series*;
 *  - range novelty: a value beyond the range seen so far by more than a margin of that range scores 1;
 *  - suppression: after a flag, scores are damped for a while, since one event is one anomaly, and repeated alerts
 *    for it only cost.
 * No randomness: the same input always gives the same scores.
 */
import { AnomalyLikelihood } from './anomaly-likelihood';
import { TransitionModel } from './transition-model';

export interface DetectorOptions {
  /** Flag threshold on the score. */
  threshold: number;
  /** Points learnt before any score above 0 (the detector knows nothing yet). */
  warmupPoints: number;
  /** Smoothing factor of the prediction (exponentially weighted mean of past values). */
  predictAlpha: number;
  /** Smoothing factor of the typical absolute residual. */
  residualAlpha: number;
  /** Residual (in typical residuals) that maps to a raw score of 0.63 (1 − 1/e). */
  residualScale: number;
  /** Levels of the transition model. */
  bins: number;
  /** Half-life of transition counts, in points. */
  transitionHalfLife: number;
  /** Range novelty: margin beyond the seen range, as a fraction of that range. */
  rangeMargin: number;
  /** Time constant (points) over which the seen range forgets (it shrinks slowly towards recent values). */
  rangeMemory: number;
  /** Points damped after a flag, and the factor applied to their score. */
  suppressPoints: number;
  suppressFactor: number;
  likelihoodLearning: number;
  likelihoodHistory: number;
  likelihoodShort: number;
  likelihoodMinStd: number;
}

export const defaultDetectorOptions: Readonly<DetectorOptions> = Object.freeze({
  threshold: 0.5,
  warmupPoints: 150,
  predictAlpha: 0.2,
  residualAlpha: 0.01,
  residualScale: 3,
  bins: 12,
  transitionHalfLife: 2000,
  rangeMargin: 0.1,
  rangeMemory: 5000,
  suppressPoints: 200,
  suppressFactor: 0.5,
  likelihoodLearning: 300,
  likelihoodHistory: 2000,
  likelihoodShort: 10,
  likelihoodMinStd: 0.02,
});

export interface DetectorResult {
  score: number;
  flag: boolean;
}

export class AnomalyDetector {
  readonly #o: DetectorOptions;
  readonly #transitions: TransitionModel;
  readonly #likelihood: AnomalyLikelihood;
  #n = 0;
  #pred = 0;
  #resid = 0;
  #lo = Number.POSITIVE_INFINITY;
  #hi = Number.NEGATIVE_INFINITY;
  #sinceFlag = Number.POSITIVE_INFINITY;

  constructor(options: Partial<DetectorOptions> = {}) {
    this.#o = { ...defaultDetectorOptions, ...options };
    this.#transitions = new TransitionModel(this.#o.bins, this.#o.transitionHalfLife);
    this.#likelihood = new AnomalyLikelihood({
      learningPoints: this.#o.likelihoodLearning,
      historyPoints: this.#o.likelihoodHistory,
      shortPoints: this.#o.likelihoodShort,
      minStd: this.#o.likelihoodMinStd,
    });
  }

  get options(): Readonly<DetectorOptions> {
    return this.#o;
  }

  /** Scores the next point of the series, then learns it. Non-finite values score 0 and are not learnt. */
  update(timestampMs: number, value: number): DetectorResult {
    if (!Number.isFinite(value)) return { score: 0, flag: false };
    const o = this.#o;
    const first = this.#n === 0;
    this.#n++;

    // Range novelty, against the range before this point.
    const range = this.#hi - this.#lo;
    let rangeScore = 0;
    if (this.#n > o.warmupPoints && range > 0) {
      const beyond = Math.max(value - this.#hi, this.#lo - value) / range;
      if (beyond > o.rangeMargin) rangeScore = 1;
    }

    // Prediction residual.
    const residual = first ? 0 : Math.abs(value - this.#pred);
    const typical = this.#resid + 1e-9 * (Math.abs(this.#pred) + 1);
    const residualRaw = first ? 0 : 1 - Math.exp(-residual / (o.residualScale * typical));

    // Sequence novelty, on levels over the range seen so far (this point included, so a new extreme is its own level).
    const lo = Math.min(this.#lo, value);
    const hi = Math.max(this.#hi, value);
    const bin = hi > lo ? Math.min(o.bins - 1, Math.floor(((value - lo) / (hi - lo)) * o.bins)) : 0;
    const novelty = this.#transitions.update(bin);

    const raw = Math.max(residualRaw, novelty);
    const likely = this.#likelihood.update(raw);
    let score = this.#n > o.warmupPoints ? Math.max(likely, rangeScore) : 0;

    // Learn.
    this.#pred = first ? value : this.#pred + o.predictAlpha * (value - this.#pred);
    this.#resid = this.#n <= 2 ? residual : this.#resid + o.residualAlpha * (residual - this.#resid);
    this.#lo = lo;
    this.#hi = hi;
    if (o.rangeMemory > 0 && this.#n > o.warmupPoints) {
      // Let the range forget slowly so that one old outlier does not blind range novelty forever.
      const shrink = (this.#hi - this.#lo) / o.rangeMemory;
      if (value < this.#hi - shrink) this.#hi -= shrink;
      if (value > this.#lo + shrink) this.#lo += shrink;
    }

    if (this.#sinceFlag < o.suppressPoints) score *= o.suppressFactor;
    this.#sinceFlag++;
    const flag = score >= o.threshold;
    if (flag) this.#sinceFlag = 0;
    return { score, flag };
  }
}
