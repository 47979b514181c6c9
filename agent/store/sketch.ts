/**
 * DDSketch: a mergeable quantile sketch with relative-error guarantees (Masson, Rim, Lee, VLDB 2019).
 *
 * A value x > 0 falls into bucket i = ceil(log(x) / log(gamma)) with gamma = (1 + a) / (1 - a); every value in
 * bucket i lies in (gamma^(i-1), gamma^i], and the bucket is represented by 2 * gamma^i / (gamma + 1), which is within
 * relative error `a` of every value in it. With the default a = 0.01 any reported quantile q is within 1% of the
 * value of rank floor(q * (count - 1)) of the true data (after clamping to the observed min and max). Negative values
 * use a mirrored store; |x| below kMinIndexable counts as zero. Weights may be fractional (sample rates).
 *
 * The C++ twin (native/src/statsd/ddsketch.h) uses the same mapping and the same JSON form, so sketches from both
 * paths merge. Serialized form (`toJSON`): {a, n, s, min, max, z, p: [[index, count], ...], m: [[index, count], ...]}
 * with `p` the positive buckets, `m` the negative ones (index of |x|), `z` the zero count, `n` the total count and `s`
 * the sum. Bucket count is bounded (kMaxBuckets per sign): past it the lowest-magnitude buckets collapse into one,
 * which only loses accuracy for the smallest values.
 */

export const kDefaultRelativeAccuracy = 0.01;
export const kMinIndexable = 1e-9;
export const kMaxBuckets = 2048;

export interface SketchJSON {
  a: number;
  n: number;
  s: number;
  min: number;
  max: number;
  z: number;
  p: Array<[number, number]>;
  m: Array<[number, number]>;
}

export class DDSketch {
  readonly relativeAccuracy: number;
  readonly #gamma: number;
  readonly #lnGamma: number;
  #pos = new Map<number, number>();
  #neg = new Map<number, number>();
  #zero = 0;
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  constructor(relativeAccuracy = kDefaultRelativeAccuracy) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) throw new RangeError('relative accuracy must be in (0, 1)');
    this.relativeAccuracy = relativeAccuracy;
    this.#gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.#lnGamma = Math.log(this.#gamma);
  }

  get count(): number {
    return this.#count;
  }

  get sum(): number {
    return this.#sum;
  }

  get min(): number {
    return this.#min;
  }

  get max(): number {
    return this.#max;
  }

  /** Bucket index of a magnitude >= kMinIndexable (shared with the C++ twin). */
  index(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / this.#lnGamma);
  }

  /** Representative value of bucket `i`. */
  value(i: number): number {
    return (2 * Math.pow(this.#gamma, i)) / (this.#gamma + 1);
  }

  add(x: number, weight = 1): void {
    if (!Number.isFinite(x) || !(weight > 0)) return;
    if (x > kMinIndexable) bump(this.#pos, this.index(x), weight);
    else if (x < -kMinIndexable) bump(this.#neg, this.index(-x), weight);
    else this.#zero += weight;
    this.#count += weight;
    this.#sum += x * weight;
    if (x < this.#min) this.#min = x;
    if (x > this.#max) this.#max = x;
    if (this.#pos.size > kMaxBuckets) collapse(this.#pos);
    if (this.#neg.size > kMaxBuckets) collapse(this.#neg);
  }

  /** Adds another sketch's data into this one; both must share the relative accuracy. */
  merge(other: DDSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) throw new RangeError('cannot merge sketches of different relative accuracy');
    if (other.#count === 0) return;
    for (const [i, c] of other.#pos) bump(this.#pos, i, c);
    for (const [i, c] of other.#neg) bump(this.#neg, i, c);
    this.#zero += other.#zero;
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
    if (this.#pos.size > kMaxBuckets) collapse(this.#pos);
    if (this.#neg.size > kMaxBuckets) collapse(this.#neg);
  }

  /** Value at quantile q in [0, 1]; NaN when empty. */
  quantile(q: number): number {
    return this.quantiles([q])[0]![1];
  }

  /** Several quantiles with one sorted walk, as [q, value] pairs in the order given. */
  quantiles(qs: readonly number[]): Array<[number, number]> {
    if (this.#count === 0) return qs.map((q) => [q, NaN]);
    const negKeys = [...this.#neg.keys()].sort((a, b) => b - a);
    const posKeys = [...this.#pos.keys()].sort((a, b) => a - b);
    return qs.map((q) => {
      if (!(q >= 0 && q <= 1)) return [q, NaN];
      if (q === 0) return [q, this.#min];
      if (q === 1) return [q, this.#max];
      const rank = q * (this.#count - 1);
      let seen = 0;
      let v = this.#max;
      let found = false;
      for (const i of negKeys) {
        seen += this.#neg.get(i)!;
        if (seen > rank) {
          v = -this.value(i);
          found = true;
          break;
        }
      }
      if (!found) {
        seen += this.#zero;
        if (seen > rank) {
          v = 0;
          found = true;
        }
      }
      if (!found) {
        for (const i of posKeys) {
          seen += this.#pos.get(i)!;
          if (seen > rank) {
            v = this.value(i);
            break;
          }
        }
      }
      return [q, Math.min(Math.max(v, this.#min), this.#max)];
    });
  }

  /** Cumulative counts at the given upper bounds (Prometheus histogram `le`), estimated from bucket representatives. */
  cumulativeCounts(bounds: readonly number[]): Array<[number, number]> {
    const points: Array<[number, number]> = [];
    for (const [i, c] of this.#neg) points.push([-this.value(i), c]);
    if (this.#zero > 0) points.push([0, this.#zero]);
    for (const [i, c] of this.#pos) points.push([this.value(i), c]);
    points.sort((a, b) => a[0] - b[0]);
    const out: Array<[number, number]> = [];
    let j = 0;
    let acc = 0;
    for (const b of bounds) {
      while (j < points.length && points[j]![0] <= b) acc += points[j++]![1];
      out.push([b, acc]);
    }
    return out;
  }

  clone(): DDSketch {
    const s = new DDSketch(this.relativeAccuracy);
    s.merge(this);
    return s;
  }

  toJSON(): SketchJSON {
    return {
      a: this.relativeAccuracy,
      n: this.#count,
      s: this.#sum,
      min: this.#count ? this.#min : 0,
      max: this.#count ? this.#max : 0,
      z: this.#zero,
      p: [...this.#pos].sort((x, y) => x[0] - y[0]),
      m: [...this.#neg].sort((x, y) => x[0] - y[0]),
    };
  }

  static fromJSON(j: SketchJSON): DDSketch {
    const s = new DDSketch(j.a);
    for (const [i, c] of j.p) bump(s.#pos, i, c);
    for (const [i, c] of j.m) bump(s.#neg, i, c);
    s.#zero = j.z;
    s.#count = j.n;
    s.#sum = j.s;
    if (j.n > 0) {
      s.#min = j.min;
      s.#max = j.max;
    }
    return s;
  }

  /**
   * Builds a sketch from dense bucket arrays (the native path's flush form): `pc[k]` counts bucket `po + k`, `nc[k]`
   * the negative bucket `no + k`.
   */
  static fromDense(a: number, n: number, sum: number, min: number, max: number, zero: number, po: number, pc: Float64Array, no: number, nc: Float64Array): DDSketch {
    const s = new DDSketch(a);
    for (let k = 0; k < pc.length; k++) if (pc[k]! > 0) s.#pos.set(po + k, pc[k]!);
    for (let k = 0; k < nc.length; k++) if (nc[k]! > 0) s.#neg.set(no + k, nc[k]!);
    s.#zero = zero;
    s.#count = n;
    s.#sum = sum;
    if (n > 0) {
      s.#min = min;
      s.#max = max;
    }
    return s;
  }
}

function bump(m: Map<number, number>, i: number, c: number): void {
  m.set(i, (m.get(i) ?? 0) + c);
}

/** Folds the lowest buckets into one so at most kMaxBuckets remain. */
function collapse(m: Map<number, number>): void {
  const keys = [...m.keys()].sort((a, b) => a - b);
  const excess = keys.length - kMaxBuckets;
  if (excess <= 0) return;
  const target = keys[excess]!;
  let acc = 0;
  for (let k = 0; k < excess; k++) {
    acc += m.get(keys[k]!)!;
    m.delete(keys[k]!);
  }
  bump(m, target, acc);
}
