/**
 * The number-point streams (Gauge and Sum data points) the receiver has seen, found again by the bytes that carried
 * them. An SDK exports the same streams in every request, so the protobuf receiver (receive-proto.ts) hashes each
 * point's attribute fields as received and, when the same bytes came before under the same metric context (the
 * resource's and scope's labels, the metric's name, unit, description, type and temporality), takes the labels it
 * built then: a repeated stream costs a hash and a byte comparison, not an attribute decode, a name translation and a
 * new labels object. Equal bytes under an equal context decode to equal labels, so the cache never changes what is
 * stored. Each entry also keeps the store series of its last write, which the translator writes through while the
 * store still holds it (`Store.writeHandle`: no label key built, no lookup), and its delta-table key.
 *
 * Bounded and counted: at `maxEntries` streams or `maxKeyBytes` of keys the streams are forgotten at once (`resets`)
 * and the cache fills again (a sender of more streams than that pays the decode, as without the cache); a key over
 * MAX_KEY bytes is not kept. Metric contexts are bounded the same way (`maxContexts`).
 */
import { HASH_SEED, sameRange } from '../../formats/byte-hash';
import { MAX_KEY } from '../remote-write-receive/label-cache';
import type { Series } from '../../store/store';
import type { FamilyDesc } from '../../store/types';
import type { Attrs, OtlpMetric } from './model';

export { MAX_KEY };

/** What every point of one metric shares: its family and the labels of its resource and scope. */
export interface MetricContext {
  /** Mixed into each point's hash, so equal attributes under two metrics are two streams. */
  readonly seed: number;
  readonly desc: FamilyDesc;
  readonly base: Record<string, string>;
  readonly delta: boolean;
}

export interface PointStream {
  readonly ctx: MetricContext;
  /** The key bytes: `len` bytes from `at` in a slab of the cache's arena (a view: compared four bytes at a step). */
  readonly slab: DataView;
  readonly at: number;
  readonly len: number;
  readonly hash: number;
  /** The next stream in the same hash bucket. */
  next: PointStream | undefined;
  /** The point's labels over its context's (what the translator writes). */
  readonly labels: Record<string, string>;
  /** The store's series of the last write (written through while live). */
  handle: Series | undefined;
  /** The stream's key in the delta-conversion table, built at its first delta write. */
  deltaKey: string | undefined;
}

/** A request as the protobuf receiver decodes it (receive-proto.ts), in the order the translator writes it. */
export type ReceivedOp =
  | { kind: 'resource'; attrs: Attrs }
  | { kind: 'metric'; metric: OtlpMetric; base: Record<string, string> }
  /** Points `from` to `to` (exclusive) of the parallel arrays, all of `ctx`'s metric. */
  | { kind: 'points'; ctx: MetricContext; from: number; to: number };

/** `ReceivedRequest.state` bits: the point is flagged "no recorded value"; it has a value (as_double or as_int). */
export const kEnded = 1;
export const kHasValue = 2;

/** The number points of a request in columns (no object or boxed number per point), with the ops that use them. */
export class ReceivedRequest {
  readonly ops: ReceivedOp[] = [];
  readonly streams: PointStream[] = [];
  /** Points held (the columns are longer). */
  n = 0;
  values = new Float64Array(256);
  /** Start and end of the point's interval (ms); read for delta points only (others leave 0). */
  startMs = new Float64Array(256);
  timeMs = new Float64Array(256);
  /** kEnded | kHasValue. */
  state = new Uint8Array(256);

  /** Room for `k` more points. */
  reserve(k: number): void {
    const need = this.n + k;
    if (need <= this.values.length) return;
    let cap = this.values.length * 2;
    while (cap < need) cap *= 2;
    const grow = <T extends Float64Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
    this.values = grow(this.values, new Float64Array(cap));
    this.startMs = grow(this.startMs, new Float64Array(cap));
    this.timeMs = grow(this.timeMs, new Float64Array(cap));
    this.state = grow(this.state, new Uint8Array(cap));
  }
}

const SLAB = 64 * 1024;
const NO_BYTES = new DataView(new ArrayBuffer(0));

export class StreamCache {
  readonly #contexts = new Map<string, MetricContext>();
  readonly #buckets = new Map<number, PointStream>();
  #size = 0;
  #keyBytes = 0;
  #slab = new Uint8Array(0);
  #slabView = NO_BYTES;
  #used = 0;
  #nextSeed = 1;
  /** Times the streams were forgotten at the bound. */
  resets = 0;

  constructor(
    readonly maxEntries = 65_536,
    readonly maxKeyBytes = 8 << 20,
    readonly maxContexts = 4096,
  ) {}

  /** Streams held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of stream keys held. */
  get keyBytes(): number {
    return this.#keyBytes;
  }

  /** The context of `key`, made by `make` when new. */
  context(key: string, make: (seed: number) => Omit<MetricContext, 'seed'>): MetricContext {
    let c = this.#contexts.get(key);
    if (c === undefined) {
      if (this.#contexts.size >= this.maxContexts) this.#contexts.clear();
      const seed = Math.imul(HASH_SEED ^ this.#nextSeed++, 0x5bd1e995);
      c = { seed, ...make(seed) };
      this.#contexts.set(key, c);
    }
    return c;
  }

  /** The stream of `ctx` whose key is `bytes[start, end)` (in bounds of `bytes`), if held. */
  find(ctx: MetricContext, hash: number, bytes: DataView, start: number, end: number): PointStream | undefined {
    const len = end - start;
    for (let e = this.#buckets.get(hash); e !== undefined; e = e.next) {
      if (e.ctx === ctx && e.len === len && sameRange(e.slab, e.at, bytes, start, end)) return e;
    }
    return undefined;
  }

  /** Keeps a new stream keyed by `bytes[start, end)` (a key over MAX_KEY is not kept: the stream is returned alone). */
  add(ctx: MetricContext, hash: number, bytes: Uint8Array, start: number, end: number, labels: Record<string, string>): PointStream {
    const len = end - start;
    if (len > MAX_KEY) return { ctx, slab: NO_BYTES, at: 0, len: 0, hash, next: undefined, labels, handle: undefined, deltaKey: undefined };
    if (this.#size >= this.maxEntries || this.#keyBytes + len > this.maxKeyBytes) {
      this.#buckets.clear();
      this.#size = 0;
      this.#keyBytes = 0;
      this.resets++;
    }
    if (this.#used + len > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB);
      this.#slabView = new DataView(this.#slab.buffer);
      this.#used = 0;
    }
    const at = this.#used;
    this.#slab.set(bytes.subarray(start, end), at);
    this.#used += len;
    this.#keyBytes += len;
    const e: PointStream = { ctx, slab: this.#slabView, at, len, hash, next: this.#buckets.get(hash), labels, handle: undefined, deltaKey: undefined };
    this.#buckets.set(hash, e);
    this.#size++;
    return e;
  }
}

/** A stream not kept (attributes split by other fields): its labels, written by labels. */
export function looseStream(ctx: MetricContext, labels: Record<string, string>): PointStream {
  return { ctx, slab: NO_BYTES, at: 0, len: 0, hash: 0, next: undefined, labels, handle: undefined, deltaKey: undefined };
}
