/**
 * The decaying histogram of the Kubernetes Vertical Pod Autoscaler's recommender (autoscaler
 * `vertical-pod-autoscaler/pkg/recommender/util/histogram.go`, `decaying_histogram.go`), for right-sizing hints.
 *
 * Buckets are exponential: bucket i starts at `first · (ratio^i − 1) / (ratio − 1)`, up to the bucket holding `max`
 * (VPA: CPU first bucket 0.01 cores, memory 10^7 bytes, ratio 1.05, max 1000 cores / 10^12 bytes). A sample at time t
 * weighs `weight · 2^((t − reference) / halfLife)`, so a sample one half-life older counts half as much (VPA: 24 h for
 * both). A percentile is the end of the first bucket whose cumulative weight reaches p · total (the start of the last
 * bucket when it is the last), as VPA answers.
 */

export interface HistogramShape {
  readonly firstBucket: number;
  readonly ratio: number;
  readonly max: number;
}

export const kCpuShape: HistogramShape = { firstBucket: 0.01, ratio: 1.05, max: 1000 };
export const kMemoryShape: HistogramShape = { firstBucket: 1e7, ratio: 1.05, max: 1e12 };
export const kHalfLifeMs = 24 * 3600 * 1000;

/** Weights past this factor re-anchor the reference time (VPA shifts it the same way to keep weights finite). */
const kMaxDecayExponent = 100;

export class DecayingHistogram {
  readonly shape: HistogramShape;
  readonly halfLifeMs: number;
  readonly #weights: Float64Array;
  #total = 0;
  #referenceMs: number | undefined;

  constructor(shape: HistogramShape, halfLifeMs = kHalfLifeMs) {
    this.shape = shape;
    this.halfLifeMs = halfLifeMs;
    this.#weights = new Float64Array(bucketOf(shape, shape.max) + 1);
  }

  get bucketCount(): number {
    return this.#weights.length;
  }

  get totalWeight(): number {
    return this.#total;
  }

  /** Start of bucket i. */
  bucketStart(i: number): number {
    const { firstBucket, ratio } = this.shape;
    return (firstBucket * (Math.pow(ratio, i) - 1)) / (ratio - 1);
  }

  bucket(value: number): number {
    return Math.min(bucketOf(this.shape, value), this.#weights.length - 1);
  }

  /** Adds a sample; non-finite values, negative values and non-positive weights are ignored (returns false). */
  add(value: number, weight: number, timeMs: number): boolean {
    if (!Number.isFinite(value) || value < 0 || !(weight > 0) || !Number.isFinite(timeMs)) return false;
    if (this.#referenceMs === undefined) this.#referenceMs = timeMs;
    let exp = (timeMs - this.#referenceMs) / this.halfLifeMs;
    if (exp > kMaxDecayExponent) {
      this.#shift(timeMs);
      exp = 0;
    }
    const w = weight * Math.pow(2, exp);
    this.#weights[this.bucket(value)]! += w;
    this.#total += w;
    return true;
  }

  /** Takes back a sample added with the same value, weight and time (a superseded memory peak, as VPA does). */
  subtract(value: number, weight: number, timeMs: number): void {
    if (this.#referenceMs === undefined || !Number.isFinite(value) || value < 0 || !(weight > 0)) return;
    const w = weight * Math.pow(2, (timeMs - this.#referenceMs) / this.halfLifeMs);
    const i = this.bucket(value);
    const taken = Math.min(w, this.#weights[i]!);
    this.#weights[i]! -= taken;
    this.#total = Math.max(0, this.#total - taken);
  }

  /** VPA's percentile: the end of the bucket where the cumulative weight reaches p · total; 0 when empty. */
  percentile(p: number): number {
    if (!(this.#total > 0)) return 0;
    const threshold = p * this.#total;
    let sum = 0;
    let i = 0;
    const last = this.#weights.length - 1;
    for (; i < last; i++) {
      sum += this.#weights[i]!;
      if (sum >= threshold) break;
    }
    return i < last ? this.bucketStart(i + 1) : this.bucketStart(i);
  }

  /** Serialisable state: the reference time and the non-empty buckets (for a state file). */
  toJSON(): { referenceMs: number | null; buckets: Array<[number, number]> } {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < this.#weights.length; i++) if (this.#weights[i]! > 0) buckets.push([i, this.#weights[i]!]);
    return { referenceMs: this.#referenceMs ?? null, buckets };
  }

  /** Restores `toJSON` output; entries out of range or not finite are skipped (returns how many). */
  load(j: { referenceMs: number | null; buckets: Array<[number, number]> }): number {
    let skipped = 0;
    this.#weights.fill(0);
    this.#total = 0;
    this.#referenceMs = typeof j.referenceMs === 'number' && Number.isFinite(j.referenceMs) ? j.referenceMs : undefined;
    for (const [i, w] of j.buckets) {
      if (!Number.isInteger(i) || i < 0 || i >= this.#weights.length || !(w > 0) || !Number.isFinite(w)) {
        skipped++;
        continue;
      }
      this.#weights[i]! += w;
      this.#total += w;
    }
    return skipped;
  }

  #shift(timeMs: number): void {
    const factor = Math.pow(2, -(timeMs - this.#referenceMs!) / this.halfLifeMs);
    this.#total = 0;
    for (let i = 0; i < this.#weights.length; i++) {
      this.#weights[i]! *= factor;
      this.#total += this.#weights[i]!;
    }
    this.#referenceMs = timeMs;
  }
}

function bucketOf(shape: HistogramShape, value: number): number {
  if (value < shape.firstBucket) return 0;
  return Math.floor(Math.log((value * (shape.ratio - 1)) / shape.firstBucket + 1) / Math.log(shape.ratio));
}
