/**
 * Delta → cumulative conversion state: one entry per stream (family + label set) holding the running total (a
 * value, histogram buckets or exponential-histogram buckets) and the end time of the last interval added. The table
 * is bounded (`otlp.delta.max_streams`): a new stream past the bound is refused and counted, never admitted by
 * evicting a live one; an entry not written for `otlp.delta.stream_ttl` is forgotten, so its next delta starts a new
 * cumulative series from zero. Entries sit in a Map in order of last write, so expiry walks only expired entries.
 */
import type { ExpState } from './exp-histogram';

export interface DeltaStream {
  /** End of the last interval added (ms); a delta starting before it overlaps and is refused. */
  lastTimeMs: number;
  seenMs: number;
  value: number;
  bounds?: number[];
  counts?: number[];
  count: number;
  sum: number;
  exp?: ExpState;
}

export class DeltaTable {
  readonly maxStreams: number;
  readonly ttlMs: number;
  readonly #streams = new Map<string, DeltaStream>();
  /** New streams refused at the bound. */
  refused = 0;
  /** Streams forgotten after the TTL. */
  expired = 0;

  constructor(maxStreams: number, ttlMs: number) {
    this.maxStreams = maxStreams;
    this.ttlMs = ttlMs;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** The stream's state, created empty when new; undefined when the table is full. Marks it written at `nowMs`. */
  stream(key: string, nowMs: number): DeltaStream | undefined {
    let s = this.#streams.get(key);
    if (s) {
      this.#streams.delete(key);
    } else {
      if (this.#streams.size >= this.maxStreams) {
        this.expire(nowMs);
        if (this.#streams.size >= this.maxStreams) {
          this.refused++;
          return undefined;
        }
      }
      s = { lastTimeMs: -Infinity, seenMs: nowMs, value: 0, count: 0, sum: 0 };
    }
    s.seenMs = nowMs;
    this.#streams.set(key, s);
    return s;
  }

  /** Forgets the streams not written within the TTL. */
  expire(nowMs: number): void {
    const cutoff = nowMs - this.ttlMs;
    for (const [k, s] of this.#streams) {
      if (s.seenMs >= cutoff) break;
      this.#streams.delete(k);
      this.expired++;
    }
  }
}
