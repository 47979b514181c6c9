/**
 * Holt–Winters forecasting.
 *
 * - `doubleExponentialSmoothing(values, sf, tf)` has the semantics of PromQL's `holt_winters(v[range], sf, tf)`
 *   (renamed `double_exponential_smoothing` in Prometheus 3): level starts at the first value, trend at the first
 *   difference, and the smoothed level after the last sample is returned.
 * - `HoltWinters` is the streaming additive-seasonal form (level, trend, one seasonal term per position in the
 *   period), for series with a daily rhythm; with period 1 it is plain double exponential smoothing. State is
 *   O(period): pick the period in points at the series' resolution (e.g. 288 for a day at 5 minutes).
 */

/** Smoothing factors of double exponential smoothing, each in (0, 1). */
export interface SmoothingFactors {
  /** Smoothing factor of the level. */
  sf: number;
  /** Smoothing factor of the trend. */
  tf: number;
}

/**
 * The level and per-step trend after the last value, by PromQL's `holt_winters` recurrence: the level is the one
 * PromQL returns; the trend gets its final update from the last two levels, which PromQL's loop leaves out because it
 * only returns the level. Undefined with fewer than two values or factors outside (0, 1).
 */
export function smoothedLine(values: readonly number[], f: SmoothingFactors): { level: number; trend: number } | undefined {
  const { sf, tf } = f;
  if (!(sf > 0 && sf < 1) || !(tf > 0 && tf < 1) || values.length < 2) return undefined;
  let prev = values[0]!;
  let level = values[0]!;
  let trend = values[1]! - values[0]!;
  for (let i = 1; i < values.length; i++) {
    // The trend is first updated from the second step on (the first uses the initial difference as is).
    if (i > 1) trend = tf * (level - prev) + (1 - tf) * trend;
    const next = sf * values[i]! + (1 - sf) * (level + trend);
    prev = level;
    level = next;
  }
  trend = tf * (level - prev) + (1 - tf) * trend;
  return { level, trend };
}

/** PromQL `holt_winters`: undefined with fewer than two values or factors outside (0, 1). */
export function doubleExponentialSmoothing(values: readonly number[], sf: number, tf: number): number | undefined {
  return smoothedLine(values, { sf, tf })?.level;
}

export interface HoltWintersOptions {
  /** Smoothing of the level, trend and seasonal terms, each in (0, 1). */
  alpha: number;
  beta: number;
  gamma: number;
  /** Points per season (1: no seasonality). */
  period: number;
}

export class HoltWinters {
  readonly #o: HoltWintersOptions;
  readonly #season: Float64Array;
  readonly #first: Float64Array;
  #n = 0;
  #level = 0;
  #trend = 0;

  constructor(options: HoltWintersOptions) {
    const { alpha, beta, gamma, period } = options;
    for (const [k, v] of Object.entries({ alpha, beta, gamma })) {
      if (!(v > 0 && v < 1)) throw new RangeError(`Holt-Winters ${k} must be in (0, 1), got ${v}`);
    }
    if (!Number.isInteger(period) || period < 1 || period > 1_000_000) throw new RangeError(`Holt-Winters period must be an integer in [1, 1000000], got ${period}`);
    this.#o = options;
    this.#season = new Float64Array(period);
    this.#first = new Float64Array(period);
  }

  /** Points learnt so far. */
  get count(): number {
    return this.#n;
  }

  /**
   * Learns the next value. The first period is collected as is; at its end the level starts at that period's mean,
   * the seasonal terms at each point's deviation from it, the trend at 0 (a second period would refine it, but the
   * smoothing learns it anyway). Non-finite values are ignored.
   */
  update(value: number): void {
    if (!Number.isFinite(value)) return;
    const { alpha, beta, gamma } = this.#o;
    const p = this.#season.length;
    const i = this.#n % p;
    if (p === 1 && this.#n < 2) {
      if (this.#n === 0) this.#level = value;
      else {
        this.#trend = value - this.#level;
        this.#level = value;
      }
    } else if (this.#n < p) {
      this.#first[i] = value;
      if (this.#n === p - 1) {
        let mean = 0;
        for (let k = 0; k < p; k++) mean += this.#first[k]!;
        mean /= p;
        this.#level = mean;
        for (let k = 0; k < p; k++) this.#season[k] = this.#first[k]! - mean;
      }
    } else {
      const s = this.#season[i]!;
      const prevLevel = this.#level;
      this.#level = alpha * (value - s) + (1 - alpha) * (prevLevel + this.#trend);
      this.#trend = beta * (this.#level - prevLevel) + (1 - beta) * this.#trend;
      if (p > 1) this.#season[i] = gamma * (value - this.#level) + (1 - gamma) * s;
    }
    this.#n++;
  }

  /** The value expected `steps` points after the last one learnt (≥ 1); undefined until one full period is seen. */
  forecast(steps: number): number | undefined {
    const p = this.#season.length;
    if (this.#n < Math.max(p, 2) || steps < 1) return undefined;
    const i = (this.#n - 1 + steps) % p;
    return this.#level + steps * this.#trend + (p === 1 ? 0 : this.#season[i]!);
  }
}
