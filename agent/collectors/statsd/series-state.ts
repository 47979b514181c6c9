/**
 * The StatsD series table's per-series state and options (see series.ts for what the aggregation means).
 *
 * A series is a slot number; its state lives in columns indexed by that number (typed arrays for the numbers, paged
 * arrays for the few references), not in one object per series: ~60 bytes a series instead of a ~170-byte object,
 * and nothing for the fields a counter or gauge never uses (distributions, `|T` timestamps and extra raw keys live
 * in side maps keyed by slot; a series' labels are the store's once it holds the series). Slots of expired series
 * are reused.
 */
import type { Series } from '../../store/store';
import type { DDSketch } from '../../store/sketch';
import type { FamilyDesc, Labels, MetricType } from '../../store/types';
import type { RawEntry } from './aggregate';
import type { Mapper, ObserverType } from './mapping';

export interface SeriesTableOptions {
  mapper: Mapper;
  observerType: ObserverType;
  quantiles: number[];
  /** Flush intervals a summary's quantiles cover (>= 1). */
  summaryWindow?: number;
  buckets: number[];
  maxSeriesPerMetric: number;
  maxSeries: number;
  /** 0 keeps idle series forever. */
  seriesTtlMs: number;
  /** Called for a refused new series (rate limiting is the caller's). */
  onOverflow?: (limit: 'per_metric' | 'total' | 'memory', metric: string) => void;
  /** Whether new series may be created now (false while the memory limiter sheds). */
  admitNew?: () => boolean;
  /** Called for an entry whose name is already used by another type. */
  onTypeConflict?: (metric: string, type: MetricType, existing: MetricType) => void;
  /** Labels added to every series (pod identity, labels.from_env); a tag of the same name wins. */
  extraLabels?: Readonly<Record<string, string>>;
}

/** Timer/histogram/distribution state (kept apart so plain counters and gauges stay small). */
export interface DistState {
  count: number;
  sum: number;
  quantiles: number[] | undefined;
  bounds: number[] | undefined;
  bucketCounts: number[] | undefined;
  sketch: DDSketch | undefined;
  /** Summaries: the sketches of the intervals still in the window, as [flush number, sketch], oldest first. */
  window: Array<[number, DDSketch]> | undefined;
}

export interface FlushResult {
  series: number;
  dropped: { per_metric: number; total: number; memory: number; type_conflict: number; mapping: number };
  expired: number;
}

/** Raw StatsD types, by the index kept in a slot's flags. */
export const RAW_TYPES: readonly RawEntry['type'][] = ['c', 'g', 's', 'ms', 'h', 'd'];
export const rawTypeIndex = (t: RawEntry['type']): number => RAW_TYPES.indexOf(t);

/** Flag bits: the raw type index in the low 3 bits, then: */
export const F_TYPE = 0b111;
export const F_LIVE = 1 << 3;
/** The store holds the "no samples this interval" form already. */
export const F_IDLE_WRITTEN = 1 << 4;
/** The last sample carried a `|T` timestamp (kept in `Slots.timestampMs`). */
export const F_TIMESTAMP = 1 << 5;
/** Timer, histogram or distribution (state in `Slots.dist`). */
export const F_DIST = 1 << 6;

/** Where a series sits in the raw index: the tags map of its (type, name) and its canonical tags (the map's key). */
export type RawRef = [Map<string, number>, string];

/** Slots per page of a reference column. */
const PAGE = 1024;

/**
 * A column of references in fixed pages of 1024 (8 KiB each): one array of 100k elements would live in V8's large
 * object space and be copied whole, the old copy left as garbage, each time it grew.
 */
export class Paged<T> {
  readonly #pages: Array<Array<T | undefined>> = [];

  get(i: number): T | undefined {
    return this.#pages[i >>> 10]?.[i & (PAGE - 1)];
  }

  set(i: number, v: T | undefined): void {
    const p = i >>> 10;
    while (this.#pages.length <= p) this.#pages.push(new Array<T | undefined>(PAGE).fill(undefined));
    this.#pages[p]![i & (PAGE - 1)] = v;
  }
}

export class Slots {
  /** Counter total, gauge value, or the interval's distinct set members. */
  value = new Float64Array(0);
  /**
   * Last update, in tenths of a second since the table's first flush (statsd.series_ttl is honoured to 0.1 s; an
   * Int32 lasts 6 years).
   */
  seenTick = new Int32Array(0);
  /** Flush number of the last update (sets fall to 0 in intervals without samples). */
  seenFlush = new Int32Array(0);
  flags = new Uint8Array(0);
  readonly desc = new Paged<FamilyDesc>();
  /** The store's series once written: later flushes write through this handle, not by label set. */
  readonly stored = new Paged<Series>();
  /** The first raw key: its tags map and its tags (the engine's string, which the map holds as its key anyway). */
  readonly rawMap = new Paged<Map<string, number>>();
  readonly rawTags = new Paged<string>();
  /** Further raw keys, only for series several StatsD names map onto. */
  readonly moreRaw = new Map<number, RawRef[]>();
  /** Labels of series the store does not hold (yet, or any more); the store's series holds them otherwise. */
  readonly pendingLabels = new Paged<Labels>();
  readonly dist = new Map<number, DistState>();
  readonly timestampMs = new Map<number, number>();
  /** One past the highest slot ever used. */
  end = 0;
  readonly #free: number[] = [];

  /** A fresh slot (reusing an expired one first). */
  alloc(): number {
    const i = this.#free.pop();
    if (i !== undefined) return i;
    if (this.end === this.flags.length) this.#grow();
    return this.end++;
  }

  /** Frees a slot (its raw keys and labels are the caller's to unlink first). */
  release(i: number): void {
    this.flags[i] = 0;
    this.value[i] = 0;
    this.desc.set(i, undefined);
    this.stored.set(i, undefined);
    this.rawMap.set(i, undefined);
    this.rawTags.set(i, undefined);
    this.moreRaw.delete(i);
    this.pendingLabels.set(i, undefined);
    this.dist.delete(i);
    this.timestampMs.delete(i);
    this.#free.push(i);
  }

  /** The series' labels: the store's copy once it holds the series. */
  labelsOf(i: number): Labels {
    return this.pendingLabels.get(i) ?? this.stored.get(i)!.labels;
  }

  #grow(): void {
    const cap = Math.max(1024, this.flags.length * 2);
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.value = grow(this.value, (n) => new Float64Array(n));
    this.seenTick = grow(this.seenTick, (n) => new Int32Array(n));
    this.seenFlush = grow(this.seenFlush, (n) => new Int32Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
  }
}
