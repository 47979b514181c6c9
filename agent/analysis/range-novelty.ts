/**
 * Range novelty of one feature: how far a value lies beyond the range the feature has taken so far, as a fraction
 * of that range (0 inside it). The range forgets slowly — both ends creep towards recent values by 1/memory of the
 * range per point — so one old outlier does not hide new ones forever. O(1) time, four numbers of state.
 */
export class RangeNovelty {
  readonly #memory: number;
  #lo = Number.POSITIVE_INFINITY;
  #hi = Number.NEGATIVE_INFINITY;

  constructor(memoryPoints: number) {
    this.#memory = memoryPoints;
  }

  /** Returns how far `x` is beyond the range before it (fraction of the range; 0 inside, or when no range yet), then learns it. */
  update(x: number): number {
    const range = this.#hi - this.#lo;
    const beyond = range > 0 ? Math.max(x - this.#hi, this.#lo - x, 0) / range : 0;
    if (x < this.#lo) this.#lo = x;
    if (x > this.#hi) this.#hi = x;
    if (this.#memory > 0) {
      const shrink = (this.#hi - this.#lo) / this.#memory;
      if (x < this.#hi - shrink) this.#hi -= shrink;
      if (x > this.#lo + shrink) this.#lo += shrink;
    }
    return beyond;
  }
}
