/**
 * What the drift monitor reads from a stored distribution, as value → weight increments:
 *
 * - a DDSketch (StatsD timers and histograms): the interval's buckets at their representatives (negative buckets
 *   mirrored, the zero bucket at 0);
 * - cumulative `le` buckets (scraped and OTLP histograms, StatsD histograms with bounds): the increase of each bucket
 *   since the previous read, placed at its upper bound (the +Inf bucket at the highest finite bound, as
 *   histogram_quantile does). A count that went down is a reset: that read only sets the new baseline.
 */
import { DDSketch } from '../../store/sketch';

/** Adds a sketch's buckets into `into`; returns the weight added. */
export function addSketch(into: Map<number, number>, sketch: DDSketch): number {
  const j = sketch.toJSON();
  let added = 0;
  for (const [i, c] of j.p) added += bump(into, sketch.value(i), c);
  for (const [i, c] of j.m) added += bump(into, -sketch.value(i), c);
  if (j.z > 0) added += bump(into, 0, j.z);
  return added;
}

/**
 * Adds the increase of cumulative buckets since `prev` into `into`. Returns the weight added, or -1 when the buckets
 * cannot be compared with `prev` (first read, other bounds, a reset): the caller keeps `next` as the new baseline.
 */
export function addBucketIncrease(into: Map<number, number>, prev: ReadonlyArray<readonly [number, number]> | undefined, next: ReadonlyArray<readonly [number, number]>): number {
  if (!prev || prev.length !== next.length) return -1;
  let lastFinite = NaN;
  for (const [le] of next) if (Number.isFinite(le)) lastFinite = le;
  let prevBelow = 0;
  let nextBelow = 0;
  const incs: number[] = [];
  for (let i = 0; i < next.length; i++) {
    if (prev[i]![0] !== next[i]![0]) return -1;
    const inc = next[i]![1] - nextBelow - (prev[i]![1] - prevBelow);
    if (next[i]![1] < prev[i]![1] || inc < -1e-9) return -1;
    incs.push(inc);
    prevBelow = prev[i]![1];
    nextBelow = next[i]![1];
  }
  let added = 0;
  for (let i = 0; i < next.length; i++) {
    const le = next[i]![0];
    const at = Number.isFinite(le) ? le : lastFinite;
    if (incs[i]! > 0 && Number.isFinite(at)) added += bump(into, at, incs[i]!);
  }
  return added;
}

export function isSketch(x: unknown): x is DDSketch {
  return x instanceof DDSketch;
}

function bump(m: Map<number, number>, x: number, c: number): number {
  if (!(c > 0)) return 0;
  m.set(x, (m.get(x) ?? 0) + c);
  return c;
}
