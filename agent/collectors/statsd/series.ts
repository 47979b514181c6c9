/**
 * What StatsD aggregation means across flush intervals, shared by the native and the pure-TS paths: each drained
 * interval (`RawEntry[]`) is mapped to Prometheus names and labels, checked against the cardinality limits, folded
 * into per-series state and written to the store as the owner `statsd` (a full snapshot, so expired series vanish).
 *
 * - counters (`c`): `<name>_total`, cumulative across flushes;
 * - gauges (`g`): last value; `+n`/`-n` deltas apply to the current value;
 * - sets (`s`): distinct members seen in the last interval (0 for an interval without any);
 * - timers (`ms`, in seconds), histograms (`h`), distributions (`d`): a DDSketch per interval; exposed as a summary
 *   (quantiles over the last interval, `_sum` and `_count` cumulative) or a histogram (cumulative buckets), per
 *   mapping rule or `statsd.observer_type`. The interval's sketch is kept in `dist.sketch` for the reporter.
 * - timestamped samples (`|T`): the sample's value with its own timestamp, not aggregated with others.
 */
import type { Store } from '../../store/store';
import { labelKey } from '../../store/store';
import { DDSketch } from '../../store/sketch';
import { FamilySamples, Labels, MetricType, sanitizeLabelName, sanitizeMetricName } from '../../store/types';
import type { RawEntry } from './aggregate';
import { Mapper, MappingResult, ObserverType } from './mapping';

export interface SeriesTableOptions {
  mapper: Mapper;
  observerType: ObserverType;
  quantiles: number[];
  buckets: number[];
  maxSeriesPerMetric: number;
  maxSeries: number;
  /** 0 keeps idle series forever. */
  seriesTtlMs: number;
  /** Called for a refused new series (rate limiting is the caller's). */
  onOverflow?: (limit: 'per_metric' | 'total', metric: string) => void;
  /** Called for an entry whose name is already used by another type. */
  onTypeConflict?: (metric: string, type: MetricType, existing: MetricType) => void;
}

interface SeriesState {
  family: string;
  type: MetricType;
  help: string;
  labels: Labels;
  value: number;
  count: number;
  sum: number;
  quantiles: number[] | undefined;
  bounds: number[] | undefined;
  bucketCounts: number[] | undefined;
  sketch: DDSketch | undefined;
  timestampMs: number | undefined;
  seenMs: number;
  /** Flush number of the last update (sets reset to 0 in intervals without members). */
  seenFlush: number;
  rawType: RawEntry['type'];
}

export interface FlushResult {
  series: number;
  dropped: { per_metric: number; total: number; type_conflict: number; mapping: number };
  expired: number;
}

export const kOwner = 'statsd';

export class SeriesTable {
  readonly #o: SeriesTableOptions;
  readonly #series = new Map<string, SeriesState>();
  readonly #perFamily = new Map<string, number>();
  readonly #familyType = new Map<string, MetricType>();
  #flushNo = 0;

  constructor(opts: SeriesTableOptions) {
    this.#o = opts;
  }

  get size(): number {
    return this.#series.size;
  }

  /** Folds one drained interval in, expires idle series, and returns the families to write. */
  apply(entries: readonly RawEntry[], nowMs: number): FlushResult {
    this.#flushNo++;
    const res: FlushResult = { series: 0, dropped: { per_metric: 0, total: 0, type_conflict: 0, mapping: 0 }, expired: 0 };
    for (const e of entries) this.#applyEntry(e, nowMs, res);
    if (this.#o.seriesTtlMs > 0) {
      const cutoff = nowMs - this.#o.seriesTtlMs;
      for (const [k, s] of this.#series) {
        if (s.seenMs < cutoff) {
          this.#series.delete(k);
          const n = (this.#perFamily.get(s.family) ?? 1) - 1;
          if (n <= 0) {
            this.#perFamily.delete(s.family);
            this.#familyType.delete(s.family);
          } else this.#perFamily.set(s.family, n);
          res.expired++;
        }
      }
    }
    res.series = this.#series.size;
    return res;
  }

  /** Writes every live series into the store as one snapshot. */
  write(store: Store, nowMs: number): void {
    const fams = new Map<string, FamilySamples>();
    for (const s of this.#series.values()) {
      let f = fams.get(s.family);
      if (!f) fams.set(s.family, (f = { name: s.family, help: s.help, type: s.type, samples: [] }));
      if (s.type === 'summary' || s.type === 'histogram') {
        const qs = s.type === 'summary' ? (s.quantiles ?? []).map((q) => [q, s.seenFlush === this.#flushNo && s.sketch ? s.sketch.quantile(q) : NaN] as [number, number]) : undefined;
        const buckets = s.type === 'histogram' ? s.bounds!.map((b, i) => [b, s.bucketCounts![i]!] as [number, number]) : undefined;
        f.samples.push({
          labels: s.labels,
          dist: { count: s.count, sum: s.sum, ...(qs ? { quantiles: qs } : {}), ...(buckets ? { buckets } : {}), ...(s.sketch ? { sketch: s.sketch.toJSON() } : {}) },
          ...(s.timestampMs !== undefined ? { timestampMs: s.timestampMs } : {}),
        });
      } else {
        const value = s.rawType === 's' && s.seenFlush !== this.#flushNo ? 0 : s.value;
        f.samples.push({ labels: s.labels, value, ...(s.timestampMs !== undefined ? { timestampMs: s.timestampMs } : {}) });
      }
    }
    store.replaceOwned(kOwner, [...fams.values()], nowMs);
  }

  #applyEntry(e: RawEntry, nowMs: number, res: FlushResult): void {
    const m = this.#o.mapper.map(e.name);
    if (m?.drop) {
      res.dropped.mapping++;
      return;
    }
    const base = m?.name !== undefined ? sanitizeMetricName(m.name) : sanitizeMetricName(e.name);
    const isDist = e.type === 'ms' || e.type === 'h' || e.type === 'd';
    const observer: ObserverType = m?.observerType ?? this.#o.observerType;
    let type: MetricType;
    let family: string;
    if (e.type === 'c') {
      type = 'counter';
      family = base.endsWith('_total') ? base : base + '_total';
    } else if (isDist) {
      type = observer;
      family = base;
    } else {
      type = 'gauge';
      family = base;
    }
    const labels = tagsToLabels(e.tags, m);
    const key = family + '\u0001' + labelKey(labels);
    let s = this.#series.get(key);
    if (!s) {
      const known = this.#familyType.get(family);
      if (known !== undefined && known !== type) {
        res.dropped.type_conflict++;
        this.#o.onTypeConflict?.(family, type, known);
        return;
      }
      const inFamily = this.#perFamily.get(family) ?? 0;
      if (inFamily >= this.#o.maxSeriesPerMetric) {
        res.dropped.per_metric++;
        this.#o.onOverflow?.('per_metric', family);
        return;
      }
      if (this.#series.size >= this.#o.maxSeries) {
        res.dropped.total++;
        this.#o.onOverflow?.('total', family);
        return;
      }
      const bounds = type === 'histogram' ? [...(m?.buckets ?? this.#o.buckets)] : undefined;
      s = {
        family,
        type,
        help: m?.help ?? helpFor(e.type, e.name),
        labels,
        value: 0,
        count: 0,
        sum: 0,
        quantiles: type === 'summary' ? [...(m?.quantiles ?? this.#o.quantiles)] : undefined,
        bounds,
        bucketCounts: bounds ? bounds.map(() => 0) : undefined,
        sketch: undefined,
        timestampMs: undefined,
        seenMs: nowMs,
        seenFlush: 0,
        rawType: e.type,
      };
      this.#series.set(key, s);
      this.#perFamily.set(family, inFamily + 1);
      this.#familyType.set(family, type);
    }
    const sameFlush = s.seenFlush === this.#flushNo;
    s.seenMs = nowMs;
    s.seenFlush = this.#flushNo;
    s.timestampMs = e.timestamp ? e.timestamp * 1000 : undefined;
    switch (e.type) {
      case 'c':
        s.value += e.value;
        break;
      case 'g':
        s.value = e.relative ? s.value + e.value : e.value;
        break;
      case 's':
        // Two StatsD names mapped onto one series: their distinct counts add up (an upper bound).
        s.value = sameFlush ? s.value + e.value : e.value;
        break;
      default: {
        const sk = e.sketch!;
        if (sameFlush && s.sketch) s.sketch.merge(sk);
        else s.sketch = sk;
        s.count += sk.count;
        s.sum += sk.sum;
        if (s.bounds) {
          const cum = sk.cumulativeCounts(s.bounds);
          for (let i = 0; i < cum.length; i++) s.bucketCounts![i]! += cum[i]![1];
        }
      }
    }
  }
}

const labelNameCache = new Map<string, string>();

function labelName(k: string): string {
  let n = labelNameCache.get(k);
  if (n === undefined) {
    n = sanitizeLabelName(k);
    if (labelNameCache.size > 10_000) labelNameCache.clear();
    labelNameCache.set(k, n);
  }
  return n;
}

/**
 * DogStatsD tags to labels: "key:value" becomes key="value" (name sanitized; the last of a repeated key wins);
 * a tag without a value is dropped (Prometheus has no valueless labels). Mapping labels win over tags.
 */
export function tagsToLabels(tags: string, m: MappingResult | null): Labels {
  const out: Record<string, string> = {};
  if (tags !== '') {
    let start = 0;
    while (start < tags.length) {
      let end = tags.indexOf(',', start);
      if (end < 0) end = tags.length;
      const colon = tags.indexOf(':', start);
      if (colon > start && colon < end - 0) {
        const name = labelName(tags.slice(start, colon));
        if (name !== 'quantile' && name !== 'le') out[name] = tags.slice(colon + 1, end);
      }
      start = end + 1;
    }
  }
  if (m) for (const [k, v] of Object.entries(m.labels)) out[k] = v;
  return out;
}

function helpFor(type: RawEntry['type'], name: string): string {
  const what = { c: 'counter', g: 'gauge', s: 'set (distinct values per flush interval)', ms: 'timer (seconds)', h: 'histogram', d: 'distribution' }[type];
  return `StatsD ${what} ${name}.`;
}
