/**
 * Range novelty of one feature: how far a value lies beyond the range the feature has taken so far, as a fraction
 * of that range (0 inside it). The range learns each value `lag` points late (a ring of `lag` values), so that a
 * feature drifting steadily out of its range is measured against where the range stood before the drift, not
 * against its own previous step. The range forgets slowly — both ends creep towards recent values by 1/memory of
 * the range per point — so one old outlier does not hide new ones forever. O(1) time, O(lag) memory.
 */
export class RangeNovelty {
  readonly #memory: number;
  readonly #ring: Float64Array;
  #pos = 0;
  #filled = 0;
  #lo = Number.POSITIVE_INFINITY;
  #hi = Number.NEGATIVE_INFINITY;

  constructor(memoryPoints: number, lag = 0) {
    this.#memory = memoryPoints;
    this.#ring = new Float64Array(Math.max(0, Math.floor(lag)));
  }

  /** Returns how far `x` is beyond the range (fraction of the range; 0 inside, or when no range yet), then learns. */
  update(x: number): number {
    let learn = x;
    if (this.#ring.length > 0) {
      const old = this.#ring[this.#pos]!;
      this.#ring[this.#pos] = x;
      this.#pos = (this.#pos + 1) % this.#ring.length;
      if (this.#filled < this.#ring.length) {
        this.#filled++;
        if (this.#lo > this.#hi) {
          // Nothing learnt yet: the first value seeds the range so that the first points have a reference.
          this.#lo = this.#hi = x;
        }
        return 0;
      }
      learn = old;
    }
    const range = this.#hi - this.#lo;
    const beyond = range > 0 ? Math.max(x - this.#hi, this.#lo - x, 0) / range : 0;
    if (learn < this.#lo) this.#lo = learn;
    if (learn > this.#hi) this.#hi = learn;
    if (this.#memory > 0) {
      const shrink = (this.#hi - this.#lo) / this.#memory;
      if (learn < this.#hi - shrink) this.#hi -= shrink;
      if (learn > this.#lo + shrink) this.#lo += shrink;
    }
    return beyond;
  }
}
