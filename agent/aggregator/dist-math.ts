/** Arithmetic on cumulative distributions (count, sum, flat [le, cumulative count, ...] buckets) for the merger. */
import type { DistState } from './state-model';

/** Whether a per-(agent, series) total is finite throughout (it adds into a fleet total). */
export function finiteTotal(v: number | DistState): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (!Number.isFinite(v.count) || !Number.isFinite(v.sum)) return false;
  return !v.buckets || v.buckets.every((x, i) => (i % 2 === 1 ? Number.isFinite(x) : true));
}

/** What `v` adds since `last` (a lower count or another bucket layout is a reset: all of `v`). */
export function distDelta(v: DistState, last: DistState | undefined): DistState {
  const sameLayout = last && (v.buckets?.length ?? 0) === (last.buckets?.length ?? 0) && (v.buckets ?? []).every((x, i) => i % 2 === 1 || x === last.buckets![i]);
  if (!last || !sameLayout || v.count < last.count) return { count: v.count, sum: v.sum, buckets: v.buckets ? [...v.buckets] : null };
  return {
    count: v.count - last.count,
    sum: v.sum - last.sum,
    buckets: v.buckets ? v.buckets.map((x, i) => (i % 2 === 0 ? x : x - last.buckets![i]!)) : null,
  };
}

/** `a` + `d` (another bucket layout replaces `a`). */
export function distAdd(a: DistState | undefined, d: DistState): DistState {
  if (!a || (a.buckets?.length ?? 0) !== (d.buckets?.length ?? 0)) return { count: d.count, sum: d.sum, buckets: d.buckets ? [...d.buckets] : null };
  return { count: a.count + d.count, sum: a.sum + d.sum, buckets: a.buckets ? a.buckets.map((x, i) => (i % 2 === 0 ? x : x + d.buckets![i]!)) : null };
}

/** The negation of a contribution (to take an agent's total back out of a fleet total). */
export function negate(v: number | DistState): number | DistState {
  if (typeof v === 'number') return -v;
  return { count: -v.count, sum: -v.sum, buckets: v.buckets ? v.buckets.map((x, i) => (i % 2 === 0 ? x : -x)) : null };
}
