/**
 * The label sets of received series, parsed once and found again by the bytes that carried them. A remote write
 * sender sends the same series in every request, so the receiver hashes each series' label bytes (the 1.0 label
 * fields as received, or for 2.0 the referenced symbols) and, when the same bytes were parsed before, takes the
 * parsed set: a repeated series costs a hash and a byte comparison, not a protobuf walk, a UTF-8 decode per name and
 * value and a new labels object. Equal bytes parse to equal labels, so the cache never changes what is stored.
 * Each entry also keeps the family description and the store series of its last write, which `storeAll` writes
 * through while the store still holds it (a handle write: no label key built, no lookup).
 *
 * Bounded: at `limit` sets or `maxKeyBytes` of keys the cache is emptied and fills again (a sender of more series than
 * the limit pays the parse, as without the cache); a key over MAX_KEY bytes is not kept.
 */
import type { Series } from '../../store/store';
import type { FamilyDesc } from '../../store/types';

export interface SeriesLabels {
  /** The key bytes: `len` bytes from `at` in a slab of the cache's arena. */
  readonly slab: DataView;
  readonly at: number;
  readonly len: number;
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
  /** The store's series of the last write under `desc` (written through while live; cleared when `desc` changes). */
  handle: Series | undefined;
}

const NO_BYTES = new DataView(new ArrayBuffer(0));

/** A set of no labels (a series without a name: dropped). */
export const NO_LABELS: SeriesLabels = { slab: NO_BYTES, at: 0, len: 0, hash: 0, next: undefined, name: undefined, metaName: undefined, labels: {}, desc: undefined, handle: undefined };

/** Builds a set from its labels as received: `pairs` is name, value, name, value, ...; its key is `slab[at, at+len)`. */
export function labelsOf(pairs: readonly string[], slab: DataView, at: number, len: number, hash: number): SeriesLabels {
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
  return { slab, at, len, hash, next: undefined, name, metaName, labels, desc: undefined, handle: undefined };
}

/** Key bytes are kept in 64 KiB slabs (a key is a few dozen bytes: no buffer object per key). */
const SLAB = 64 * 1024;
/** The longest key kept (a longer label set is parsed every time). */
export const MAX_KEY = 4096;

export class LabelCache {
  readonly #buckets = new Map<number, SeriesLabels>();
  #size = 0;
  #slab = NO_BYTES;
  #bytes = new Uint8Array(0);
  #used = 0;
  #keyBytes = 0;

  constructor(
    readonly limit: number,
    readonly maxKeyBytes = 8 << 20,
  ) {}

  get size(): number {
    return this.#size;
  }

  /** The first set of bucket `hash` (walk `next`; the caller compares keys, which differ in shape by protocol). */
  bucket(hash: number): SeriesLabels | undefined {
    return this.#buckets.get(hash);
  }

  /** Room for a key of `len` bytes: returns its offset in `slab` / `bytes` (write it there before the next call). */
  reserve(len: number): number {
    if (this.#size >= this.limit || this.#keyBytes + len > this.maxKeyBytes) {
      this.#buckets.clear();
      this.#size = 0;
      this.#keyBytes = 0;
      this.#used = this.#bytes.length;
    }
    this.#keyBytes += len;
    if (this.#used + len > this.#bytes.length) {
      this.#bytes = new Uint8Array(Math.max(SLAB, len));
      this.#slab = new DataView(this.#bytes.buffer);
      this.#used = 0;
    }
    const at = this.#used;
    this.#used += len;
    return at;
  }

  /** The slab the last reserve() was in. */
  get slab(): DataView {
    return this.#slab;
  }

  get bytes(): Uint8Array {
    return this.#bytes;
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
