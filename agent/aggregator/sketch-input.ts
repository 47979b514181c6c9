/**
 * Validation of a DDSketch received from an agent (its `toJSON` form, agent/store/sketch.ts), before the aggregator
 * builds a sketch from it with `DDSketch.fromJSON`. Everything an agent sends is untrusted: a sketch must be a map
 * with finite numbers, a relative accuracy in [1e-4, 0.5], at most kMaxBuckets buckets per sign, integer bucket
 * indices within the range a finite double can reach at that accuracy, positive finite counts, and a total count
 * that matches its buckets. Anything else is a PayloadError (the request gets a 400 and is counted as malformed).
 */
import { kMaxBuckets, SketchJSON } from '../store/sketch';
import { PayloadError } from '../wire/payload';

const kMinAccuracy = 1e-4;
const kMaxAccuracy = 0.5;
/** ln(Number.MAX_VALUE) and -ln(kMinIndexable) are below 710 and 21: indices beyond ln-range / ln(gamma) are impossible. */
const kLnRange = 710;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function buckets(v: unknown, what: string, maxIndex: number): Array<[number, number]> {
  if (!Array.isArray(v)) throw new PayloadError(`sketch ${what} buckets must be an array`);
  if (v.length > kMaxBuckets) throw new PayloadError(`sketch has ${v.length} ${what} buckets, more than ${kMaxBuckets}`);
  const seen = new Set<number>();
  for (const b of v) {
    if (!Array.isArray(b) || b.length !== 2) throw new PayloadError(`sketch ${what} bucket is not an [index, count] pair`);
    const [i, c] = b as unknown[];
    if (!Number.isInteger(i) || Math.abs(i as number) > maxIndex) throw new PayloadError(`sketch ${what} bucket index is not an integer within ±${maxIndex}`);
    if (!finite(c) || c <= 0) throw new PayloadError(`sketch ${what} bucket count must be a positive finite number`);
    if (seen.has(i as number)) throw new PayloadError(`sketch ${what} bucket index ${String(i)} appears twice`);
    seen.add(i as number);
  }
  return v as Array<[number, number]>;
}

/** Checks a received sketch; returns it typed, or throws PayloadError saying what is wrong. */
export function validateSketch(raw: unknown): SketchJSON {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) throw new PayloadError('sketch must be a map');
  const j = raw as Record<string, unknown>;
  const { a, n, s, min, max, z } = j;
  if (!finite(a) || a < kMinAccuracy || a > kMaxAccuracy) throw new PayloadError(`sketch relative accuracy must be a number in [${kMinAccuracy}, ${kMaxAccuracy}]`);
  if (!finite(n) || n < 0 || !finite(s) || !finite(min) || !finite(max) || !finite(z) || z < 0)
    throw new PayloadError('sketch count, sum, min, max and zero count must be finite (counts non-negative)');
  if (n > 0 && min > max) throw new PayloadError('sketch min is above its max');
  const maxIndex = Math.ceil(kLnRange / Math.log((1 + a) / (1 - a))) + 1;
  const p = buckets(j.p, 'positive', maxIndex);
  const m = buckets(j.m, 'negative', maxIndex);
  let total = z;
  for (const [, c] of p) total += c;
  for (const [, c] of m) total += c;
  if (!Number.isFinite(total) || Math.abs(total - n) > 1e-6 * Math.max(1, n)) throw new PayloadError(`sketch count ${n} does not match its buckets (${total})`);
  return { a, n, s, min, max, z, p, m };
}
