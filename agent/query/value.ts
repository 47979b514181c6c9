/** The values an evaluation step passes between nodes, and the label-set helpers they share. */
import type { Labels } from '../store/types';

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
  /** The sample's own time, set only by a vector selector (timestamp() reads it); otherwise the evaluation time. */
  readonly tMs?: number;
}

/** One series' points inside a range, stale markers left out, oldest first. */
export interface SeriesWindow {
  readonly labels: Labels;
  readonly ts: ArrayLike<number>;
  readonly vs: ArrayLike<number>;
}

export interface MatrixValue {
  readonly series: readonly SeriesWindow[];
  /** The range's bounds and length (a range selector's or a subquery's), which rate() extrapolates to. */
  readonly startMs: number;
  readonly endMs: number;
  readonly rangeMs: number;
}

export type Value =
  | { readonly type: 'vector'; readonly v: Sample[] }
  | { readonly type: 'scalar'; readonly v: number }
  | { readonly type: 'string'; readonly v: string }
  | { readonly type: 'matrix'; readonly v: MatrixValue };

const keys = new WeakMap<Labels, string>();

/** A canonical key of a label set (names sorted), cached per label object. */
export function labelsKey(labels: Labels): string {
  let k = keys.get(labels);
  if (k === undefined) {
    k = Object.keys(labels)
      .sort()
      .map((n) => `${n}\xff${labels[n]}`)
      .join('\xfe');
    keys.set(labels, k);
  }
  return k;
}

const dropped = new WeakMap<Labels, Labels>();

/** The label set without `__name__` (the same object for the same input, so keys stay cached). */
export function dropName(labels: Labels): Labels {
  if (!('__name__' in labels)) return labels;
  let d = dropped.get(labels);
  if (d === undefined) {
    const { __name__: _, ...rest } = labels;
    d = rest;
    dropped.set(labels, d);
  }
  return d;
}

/** The key over only the named labels (`on`), or over all but the named ones and `__name__` (`ignoring`, default). */
export function matchKey(labels: Labels, on: boolean, names: readonly string[]): string {
  const parts: string[] = [];
  if (on) {
    for (const n of [...names].sort()) if (labels[n] !== undefined && labels[n] !== '') parts.push(`${n}\xff${labels[n]}`);
  } else {
    for (const n of Object.keys(labels).sort()) if (n !== '__name__' && !names.includes(n)) parts.push(`${n}\xff${labels[n]}`);
  }
  return parts.join('\xfe');
}

/** The label set with `name` set to `value`, or removed when `value` is empty. */
export function withLabel(labels: Labels, name: string, value: string): Labels {
  const out: Record<string, string> = { ...labels };
  if (value === '') delete out[name];
  else out[name] = value;
  return out;
}

/** Index of the last element of sorted `ts` that is ≤ t, or -1. */
export function lastAtOrBefore(ts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Index of the first element of sorted `ts` that is ≥ t (ts.length when none). */
export function firstAtOrAfter(ts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
