/**
 * Anomaly likelihood: how unusual the recent raw scores are against the raw scores of the longer past. The long
 * past is a Gaussian (exponentially weighted mean and variance, so state is O(1)); the recent past is the mean of the
 * last few raw scores; the likelihood is the Gaussian's lower tail probability at that mean. A series whose raw scores
 * are always high (noise) needs a higher one to stand out than a quiet series. Reported on a log scale so that the
 * meaningful range (likelihood 0.99 … 0.9999999) spreads over [0, 1].
 */

export interface LikelihoodOptions {
  /** Points before any likelihood is reported (the Gaussian is still learning): 0 until then. */
  learningPoints: number;
  /** Time constant, in points, of the long-run mean and variance. */
  historyPoints: number;
  /** Points in the short mean compared against the long-run Gaussian (≤ 64). */
  shortPoints: number;
  /** Floor on the long-run standard deviation, so a perfectly quiet past does not make every blip infinite. */
  minStd: number;
}

/** Standard normal upper tail Q(z) = P(Z > z), by the complementary error function (Abramowitz–Stegun 7.1.26). */
export function normalTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Maps a tail probability onto [0, 1]: 1e-10 → 1, 0.5 → ≈0.03, on a log scale. */
export function logScale(tail: number): number {
  const v = Math.log(Math.max(tail, 1e-10)) / Math.log(1e-10);
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export class AnomalyLikelihood {
  readonly #opts: LikelihoodOptions;
  readonly #ring: Float64Array;
  #ringSum = 0;
  #ringPos = 0;
  #seen = 0;
  #mean = 0;
  #var = 0;

  constructor(opts: LikelihoodOptions) {
    this.#opts = opts;
    this.#ring = new Float64Array(Math.max(1, Math.min(64, Math.floor(opts.shortPoints))));
  }

  /** Feeds one raw score in [0, 1]; returns the log-scaled likelihood that the recent mean is unusually high. */
  update(raw: number): number {
    const o = this.#opts;
    const n = this.#ring.length;
    this.#ringSum += raw - this.#ring[this.#ringPos]!;
    this.#ring[this.#ringPos] = raw;
    this.#ringPos = (this.#ringPos + 1) % n;
    this.#seen++;
    const shortMean = this.#ringSum / Math.min(this.#seen, n);
    let out = 0;
    if (this.#seen > o.learningPoints) {
      const std = Math.max(Math.sqrt(this.#var), o.minStd);
      out = logScale(normalTail((shortMean - this.#mean) / std));
    }
    // Learn after scoring: the point being judged is not part of its own reference.
    const alpha = Math.max(1 / this.#seen, 1 / o.historyPoints);
    const d = raw - this.#mean;
    this.#mean += alpha * d;
    this.#var = (1 - alpha) * (this.#var + alpha * d * d);
    return out;
  }
}
