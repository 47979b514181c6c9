/** The StatsD series table's per-series state and options (see series.ts for what the aggregation means). */
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

export interface SeriesState {
  desc: FamilyDesc;
  /** Shared with the store's series once written. */
  labels: Labels;
  value: number;
  dist: DistState | undefined;
  timestampMs: number | undefined;
  /**
   * Last update, in tenths of a second since the table's first flush: a small integer V8 stores inline (for 6 years),
   * where a millisecond timestamp would cost a heap number per series. statsd.series_ttl is honoured to 0.1 s.
   */
  seenTick: number;
  /** Flush number of the last update (sets fall to 0 in intervals without samples). */
  seenFlush: number;
  /** Whether the store holds the "no samples this interval" form already. */
  idleWritten: boolean;
  rawType: RawEntry['type'];
  /** Where this series sits in the raw index (first raw key inline; more only when several names map here). */
  rawMap: Map<string, SeriesState>;
  rawTags: string;
  moreRaw: Array<[Map<string, SeriesState>, string]> | undefined;
  stored: Series | undefined;
}

export interface FlushResult {
  series: number;
  dropped: { per_metric: number; total: number; memory: number; type_conflict: number; mapping: number };
  expired: number;
}
