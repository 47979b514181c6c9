/**
 * The times of the sampling rounds, kept once for every series: a ring of the last `capacity` round times, indexed
 * by round number. Round times only increase, so a time maps to a round by binary search.
 */
export class Rounds {
  readonly #times: Float64Array;
  readonly capacity: number;
  /** Number of the newest round; -1 before the first. */
  #last = -1;

  constructor(capacity: number) {
    this.capacity = Math.max(2, Math.ceil(capacity));
    this.#times = new Float64Array(this.capacity);
  }

  get last(): number {
    return this.#last;
  }

  /** Oldest round whose time is still held. */
  get first(): number {
    return Math.max(0, this.#last - this.capacity + 1);
  }

  get bytes(): number {
    return this.#times.byteLength;
  }

  /** Starts the next round at `tMs`; returns its number, or -1 when `tMs` is not after the newest round. */
  push(tMs: number): number {
    if (this.#last >= 0 && !(tMs > this.timeOf(this.#last))) return -1;
    this.#last++;
    this.#times[this.#last % this.capacity] = tMs;
    return this.#last;
  }

  /** Whether round `r`'s time is still held. */
  held(r: number): boolean {
    return r >= this.first && r <= this.#last;
  }

  timeOf(r: number): number {
    return this.#times[r % this.capacity]!;
  }

  /** First held round with time ≥ tMs (last + 1 when none). */
  lowerBound(tMs: number): number {
    let lo = this.first;
    let hi = this.#last + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timeOf(mid) < tMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Last held round with time ≤ tMs (first - 1 when none). */
  upperBound(tMs: number): number {
    let lo = this.first;
    let hi = this.#last + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timeOf(mid) <= tMs) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
