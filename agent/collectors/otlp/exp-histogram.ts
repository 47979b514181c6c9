/**
 * OTLP exponential histograms in the store's terms. Bucket i at scale s holds values in (2^(i·2^-s), 2^((i+1)·2^-s)].
 * Buckets are kept as (offset, counts) per sign; two histograms of different scales are compared or added at the
 * lower scale (bucket i at scale s is bucket i >> k at scale s - k). A histogram becomes the store's DDSketch
 * (agent/store/sketch.ts) by adding each bucket's count at its geometric midpoint, so it merges with StatsD's sketches
 * and answers quantiles within half a bucket of the exact value.
 */
import { DDSketch } from '../../store/sketch';
import type { ExpBuckets, ExpHistogramPoint } from './model';

/** OTLP's scale range. */
export const kMinScale = -10;
export const kMaxScale = 20;
/** Buckets per sign accepted in one point (SDKs default to 160). */
export const kMaxExpBuckets = 4096;
/** Bucket indexes are 32-bit (the wire's sint32 offset), so they can be shifted down to a lower scale. */
const kMinIndex = -(2 ** 31);
const kMaxIndex = 2 ** 31 - 1;

export interface ExpState {
  scale: number;
  count: number;
  sum: number;
  zero: number;
  positive: ExpBuckets;
  negative: ExpBuckets;
}

export function fromPoint(p: ExpHistogramPoint): ExpState {
  return {
    scale: p.scale,
    count: p.count,
    sum: p.sum ?? 0,
    zero: p.zeroCount,
    positive: { offset: p.positive.offset, counts: p.positive.counts.slice() },
    negative: { offset: p.negative.offset, counts: p.negative.counts.slice() },
  };
}

/** Why a point cannot be used, or undefined. */
export function checkPoint(p: ExpHistogramPoint): string | undefined {
  if (!Number.isInteger(p.scale) || p.scale < kMinScale || p.scale > kMaxScale) return `scale ${p.scale} outside [${kMinScale}, ${kMaxScale}]`;
  if (p.positive.counts.length > kMaxExpBuckets || p.negative.counts.length > kMaxExpBuckets) return `more than ${kMaxExpBuckets} buckets`;
  for (const b of [p.positive, p.negative]) {
    if (!Number.isInteger(b.offset) || b.offset < kMinIndex || b.offset + b.counts.length - 1 > kMaxIndex) return `bucket offset ${b.offset} outside the 32-bit index range`;
  }
  let total = p.zeroCount;
  for (const c of p.positive.counts) total += c;
  for (const c of p.negative.counts) total += c;
  if (total !== p.count) return `bucket counts add up to ${total}, count is ${p.count}`;
  return undefined;
}

/** Index `i` at `by` scales lower. JavaScript shifts count mod 32; past 31 bits every 32-bit index is 0 or -1. */
const shr = (i: number, by: number): number => i >> Math.min(by, 31);

function downscale(b: ExpBuckets, by: number): ExpBuckets {
  if (by === 0 || b.counts.length === 0) return b;
  const offset = shr(b.offset, by);
  const last = shr(b.offset + b.counts.length - 1, by);
  const counts = new Array<number>(last - offset + 1).fill(0);
  for (let i = 0; i < b.counts.length; i++) counts[shr(b.offset + i, by) - offset]! += b.counts[i]!;
  return { offset, counts };
}

function combine(a: ExpBuckets, b: ExpBuckets, sign: 1 | -1): ExpBuckets {
  if (a.counts.length === 0 && sign === 1) return { offset: b.offset, counts: b.counts.slice() };
  if (b.counts.length === 0) return { offset: a.offset, counts: a.counts.slice() };
  const lo = a.counts.length === 0 ? b.offset : Math.min(a.offset, b.offset);
  // An empty side's offset says nothing (it may be anywhere): only buckets that exist set the span.
  const hi = a.counts.length === 0 ? b.offset + b.counts.length : Math.max(a.offset + a.counts.length, b.offset + b.counts.length);
  const counts = new Array<number>(hi - lo).fill(0);
  for (let i = 0; i < a.counts.length; i++) counts[a.offset + i - lo]! += a.counts[i]!;
  for (let i = 0; i < b.counts.length; i++) counts[b.offset + i - lo]! += sign * b.counts[i]!;
  return { offset: lo, counts };
}

/** Buckets `b` spans at `by` scales lower: the first and last index (empty buckets span nothing). */
function spanAt(b: ExpBuckets, by: number): [number, number] | undefined {
  return b.counts.length === 0 ? undefined : [shr(b.offset, by), shr(b.offset + b.counts.length - 1, by)];
}

function fits(a: ExpBuckets, byA: number, b: ExpBuckets, byB: number): boolean {
  const x = spanAt(a, byA);
  const y = spanAt(b, byB);
  if (!x || !y) return true;
  return Math.max(x[1], y[1]) - Math.min(x[0], y[0]) + 1 <= kMaxExpBuckets;
}

/**
 * The scale two histograms are combined at: the lower of theirs, lowered further (as an SDK lowers its own) until the
 * buckets of both fit in kMaxExpBuckets per sign, so two points far apart cannot make one enormous bucket array.
 */
function commonScale(a: ExpState, b: ExpState): number {
  let scale = Math.min(a.scale, b.scale);
  const floor = scale - 31; // both shifted by 31 bits or more: any two 32-bit indexes then span at most 2 buckets
  while (scale > floor && !(fits(a.positive, a.scale - scale, b.positive, b.scale - scale) && fits(a.negative, a.scale - scale, b.negative, b.scale - scale))) scale--;
  return scale;
}

/** a + b at the lower of their scales (lower still when their buckets would not fit). */
export function add(a: ExpState, b: ExpState): ExpState {
  const scale = commonScale(a, b);
  return {
    scale,
    count: a.count + b.count,
    sum: a.sum + b.sum,
    zero: a.zero + b.zero,
    positive: combine(downscale(a.positive, a.scale - scale), downscale(b.positive, b.scale - scale), 1),
    negative: combine(downscale(a.negative, a.scale - scale), downscale(b.negative, b.scale - scale), 1),
  };
}

/** cur - prev at the lower of their scales (as `add`); undefined when cur is not a continuation of prev (a reset). */
export function subtract(cur: ExpState, prev: ExpState): ExpState | undefined {
  if (cur.count < prev.count || cur.zero < prev.zero) return undefined;
  const scale = commonScale(cur, prev);
  const positive = combine(downscale(cur.positive, cur.scale - scale), downscale(prev.positive, prev.scale - scale), -1);
  const negative = combine(downscale(cur.negative, cur.scale - scale), downscale(prev.negative, prev.scale - scale), -1);
  if (positive.counts.some((c) => c < 0) || negative.counts.some((c) => c < 0)) return undefined;
  return { scale, count: cur.count - prev.count, sum: cur.sum - prev.sum, zero: cur.zero - prev.zero, positive, negative };
}

export function toSketch(h: ExpState): DDSketch {
  const sk = new DDSketch();
  const inv = Math.pow(2, -h.scale);
  if (h.zero > 0) sk.add(0, h.zero);
  for (let i = 0; i < h.positive.counts.length; i++) {
    const c = h.positive.counts[i]!;
    if (c > 0) sk.add(Math.pow(2, (h.positive.offset + i + 0.5) * inv), c);
  }
  for (let i = 0; i < h.negative.counts.length; i++) {
    const c = h.negative.counts[i]!;
    if (c > 0) sk.add(-Math.pow(2, (h.negative.offset + i + 0.5) * inv), c);
  }
  return sk;
}
