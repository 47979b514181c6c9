/**
 * The label sets of received series, parsed once and found again by the bytes that carried them. A remote write
 * sender sends the same series in every request, so the receiver hashes each series' label bytes (the 1.0 label
 * fields as received, or for 2.0 the referenced symbols) and, when the same bytes were parsed before, takes the
 * parsed set: a repeated series costs a hash and a byte comparison, not a protobuf walk, a UTF-8 decode per name and
 * value and a new labels object. Equal bytes parse to equal labels, so the cache never changes what is stored.
 *
 * Bounded: at `limit` sets the cache is emptied and fills again (a sender of more series than the limit pays the
 * parse, as without the cache).
 */
import type { FamilyDesc } from '../../store/types';

export interface SeriesLabels {
  /** The bytes the set is keyed by (copied out of the request). */
  readonly key: Uint8Array;
  readonly hash: number;
  /** The next set in the same hash bucket. */
  next: SeriesLabels | undefined;
  /** The value of the last `__name__` label (the family written), undefined without one. */
  readonly name: string | undefined;
  /** The value of the first `__name__` label (what 1.0 metadata is matched by). */
  readonly metaName: string | undefined;
  /** The labels stored: no `__`-prefixed names, no empty values (the last of a repeated name). */
  readonly labels: Record<string, string>;
  /** The family description of the last write (reused while its type and help stay). */
  desc: FamilyDesc | undefined;
}

/** A set of no labels (a series without a name: dropped). */
export const NO_LABELS: SeriesLabels = { key: new Uint8Array(0), hash: 0, next: undefined, name: undefined, metaName: undefined, labels: {}, desc: undefined };

/** FNV-1a over `buf[start, end)`, continuing from `h`. */
export function hashBytes(h: number, buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

export const HASH_SEED = 0x811c9dc5 | 0;

/** Builds a set from its labels as received: `pairs` is name, value, name, value, ... */
export function labelsOf(pairs: readonly string[], key: Uint8Array, hash: number): SeriesLabels {
  let name: string | undefined;
  let metaName: string | undefined;
  const labels: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const k = pairs[i]!;
    const v = pairs[i + 1]!;
    if (k === '__name__') {
      name = v;
      if (metaName === undefined) metaName = v;
    } else if (!k.startsWith('__') && v !== '') labels[k] = v;
  }
  return { key, hash, next: undefined, name, metaName, labels, desc: undefined };
}

export class LabelCache {
  readonly #buckets = new Map<number, SeriesLabels>();
  #size = 0;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.#size;
  }

  /** The first set of bucket `hash` (walk `next`; the caller compares keys, which differ in shape by protocol). */
  bucket(hash: number): SeriesLabels | undefined {
    return this.#buckets.get(hash);
  }

  add(e: SeriesLabels): SeriesLabels {
    if (this.#size >= this.limit) {
      this.#buckets.clear();
      this.#size = 0;
    }
    e.next = this.#buckets.get(e.hash);
    this.#buckets.set(e.hash, e);
    this.#size++;
    return e;
  }
}

/** Whether `key` equals `buf[start, end)`. */
export function sameBytes(key: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== buf[start + i]) return false;
  return true;
}
