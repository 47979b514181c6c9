/**
 * Daily profile: the usual value at each time of day, so a series with a daily rhythm is judged against what it
 * normally does at that hour on earlier days rather than against its whole range. The day is cut into `bins` slots
 * (UTC). While time stays in a slot its values are averaged; when time leaves the slot, that day's average is folded
 * into the slot's exponentially weighted mean over days. A point is compared only with earlier days, so the profile
 * means the same at any sampling rate. Fixed state: two numbers per slot.
 */
const dayMs = 86_400_000;

export class DailyProfile {
  readonly #mean: Float64Array;
  readonly #days: Uint16Array;
  readonly #slotMs: number;
  readonly #alpha: number;
  readonly #minDays: number;
  #slotStart = Number.NaN;
  #sum = 0;
  #count = 0;

  /**
   * @param alpha weight of a new day's average in its slot's mean.
   * @param minDays days a slot must have seen before its mean is trusted.
   */
  constructor(bins: number, alpha: number, minDays: number) {
    this.#mean = new Float64Array(bins);
    this.#days = new Uint16Array(bins);
    this.#slotMs = dayMs / bins;
    this.#alpha = alpha;
    this.#minDays = minDays;
  }

  /** Returns value − the usual value at this time of day (NaN until the slot has learnt `minDays` days), then learns. */
  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(timestampMs)) return Number.NaN;
    const start = Math.floor(timestampMs / this.#slotMs) * this.#slotMs;
    if (start !== this.#slotStart) {
      this.#fold();
      this.#slotStart = start;
    }
    const slot = this.#slotOf(start);
    const residual = this.#days[slot]! >= this.#minDays ? value - this.#mean[slot]! : Number.NaN;
    this.#sum += value;
    this.#count++;
    return residual;
  }

  #slotOf(startMs: number): number {
    const bins = this.#mean.length;
    return Math.min(bins - 1, Math.floor((((startMs % dayMs) + dayMs) % dayMs) / this.#slotMs));
  }

  #fold(): void {
    if (this.#count === 0) return;
    const slot = this.#slotOf(this.#slotStart);
    const avg = this.#sum / this.#count;
    const d = this.#days[slot]!;
    this.#mean[slot] = d === 0 ? avg : this.#mean[slot]! + Math.max(this.#alpha, 1 / (d + 1)) * (avg - this.#mean[slot]!);
    if (d < 0xffff) this.#days[slot] = d + 1;
    this.#sum = 0;
    this.#count = 0;
  }
}
