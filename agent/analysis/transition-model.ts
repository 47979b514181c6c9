/**
 * Sequence novelty: how surprising the current value's level is, given the previous level. Values are quantised
 * into `bins` levels over the range seen so far; a bins × bins table of exponentially decayed transition counts
 * gives P(level now | level before), and the raw score is 1 − that probability (Laplace-smoothed). Fixed state:
 * bins² counts. Decay is lazy (new counts weigh more, the whole table is rescaled rarely), so an update is O(1).
 */

export class TransitionModel {
  readonly #bins: number;
  readonly #counts: Float64Array;
  readonly #rows: Float64Array;
  readonly #growth: number;
  #weight = 1;
  #prev = -1;

  /** @param halfLifePoints points after which a transition's count weighs half as much. */
  constructor(bins: number, halfLifePoints: number) {
    this.#bins = bins;
    this.#counts = new Float64Array(bins * bins);
    this.#rows = new Float64Array(bins);
    this.#growth = Math.pow(2, 1 / halfLifePoints);
  }

  /** Scores then learns the level `bin` (0 … bins − 1). */
  update(bin: number): number {
    const b = this.#bins;
    let raw = 0;
    if (this.#prev >= 0) {
      const row = this.#rows[this.#prev]!;
      const c = this.#counts[this.#prev * b + bin]!;
      // Smoothing worth one observation spread over all levels, at the current weight.
      const p = (c + this.#weight / b) / (row + this.#weight);
      raw = 1 - p;
      this.#counts[this.#prev * b + bin] = c + this.#weight;
      this.#rows[this.#prev] = row + this.#weight;
    }
    this.#prev = bin;
    this.#weight *= this.#growth;
    if (this.#weight > 1e200) this.#rescale();
    return raw;
  }

  #rescale(): void {
    const k = 1 / this.#weight;
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i] = this.#counts[i]! * k;
    for (let i = 0; i < this.#rows.length; i++) this.#rows[i] = this.#rows[i]! * k;
    this.#weight = 1;
  }
}
