/**
 * What StatsD aggregation means across flush intervals, shared by the native and the pure-TS paths: each drained
 * interval (`RawEntry[]`) is mapped to Prometheus names and labels, checked against the cardinality limits, folded
 * into per-series state and written to the store as the owner `statsd` (a full snapshot, so expired series vanish).
 *
 * - counters (`c`): `<name>_total`, cumulative across flushes;
 * - gauges (`g`): last value; `+n`/`-n` deltas apply to the current value;
 * - sets (`s`): distinct members seen in the last interval (0 for an interval without any);
 * - timers (`ms`, in seconds), histograms (`h`), distributions (`d`): a DDSketch per interval; exposed as a summary
 *   (quantiles over the last `summaryWindow` intervals, merged from the per-interval sketches, and omitted when the
 *   window holds no sample; `_sum` and `_count` cumulative) or a histogram (cumulative buckets), per mapping rule or
 *   `statsd.observer_type`. The interval's sketch is kept in `dist.sketch` for the reporter (only when the
 *   interval had samples, so a reporter never ships an interval twice).
 * - timestamped samples (`|T`): the sample's value with its own timestamp, not aggregated with others.
 */
import { withEnvLabels } from '../../core/labels';
import { labelKey, Series, Store } from '../../store/store';
import type { DDSketch } from '../../store/sketch';
import { Distribution, FamilyDesc, Labels, MetricType, sanitizeLabelName, sanitizeMetricName } from '../../store/types';
import type { RawEntry } from './aggregate';
import { Mapper, MappingResult, ObserverType } from './mapping';

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
  onOverflow?: (limit: 'per_metric' | 'total', metric: string) => void;
  /** Called for an entry whose name is already used by another type. */
  onTypeConflict?: (metric: string, type: MetricType, existing: MetricType) => void;
  /** Labels added to every series (pod identity, labels.from_env); a tag of the same name wins. */
  extraLabels?: Readonly<Record<string, string>>;
}

/** Timer/histogram/distribution state (kept apart so plain counters and gauges stay small). */
interface DistState {
  count: number;
  sum: number;
  quantiles: number[] | undefined;
  bounds: number[] | undefined;
  bucketCounts: number[] | undefined;
  sketch: DDSketch | undefined;
  /** Summaries: the sketches of the intervals still in the window, as [flush number, sketch], oldest first. */
  window: Array<[number, DDSketch]> | undefined;
}

interface SeriesState {
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
  dropped: { per_metric: number; total: number; type_conflict: number; mapping: number };
  expired: number;
}

export class SeriesTable {
  readonly #o: SeriesTableOptions;
  /** Family name → label key → state: the final identities. */
  readonly #series = new Map<string, Map<string, SeriesState>>();
  /**
   * Raw index: "[T]<type>|<name>" → canonical tags → state, so a known series costs two lookups per flush and the
   * tag strings the engine handed over are the keys (no per-series key strings built).
   */
  readonly #byRaw = new Map<string, Map<string, SeriesState>>();
  readonly #families = new Map<string, FamilyDesc>();
  #count = 0;
  #flushNo = 0;
  #epochMs: number | undefined;
  /** Series whose identity key is to be replaced by the store's equal key string (see `write`). */
  readonly #rekey: SeriesState[] = [];

  constructor(opts: SeriesTableOptions) {
    this.#o = opts;
  }

  get size(): number {
    return this.#count;
  }

  #tickOf(ms: number): number {
    this.#epochMs ??= ms;
    return Math.floor((ms - this.#epochMs) / 100);
  }

  /** Folds one drained interval in and expires idle series (removing them from `store` when given). */
  apply(entries: Iterable<RawEntry>, nowMs: number, store?: Store): FlushResult {
    this.#flushNo++;
    const res: FlushResult = { series: 0, dropped: { per_metric: 0, total: 0, type_conflict: 0, mapping: 0 }, expired: 0 };
    for (const e of entries) this.#applyEntry(e, nowMs, res);
    if (this.#o.seriesTtlMs > 0) {
      const cutoff = this.#tickOf(nowMs - this.#o.seriesTtlMs);
      for (const [fam, byLabels] of this.#series) {
        for (const [k, s] of byLabels) {
          if (s.seenTick >= cutoff) continue;
          byLabels.delete(k);
          this.#count--;
          s.rawMap.delete(s.rawTags);
          for (const [m, tags] of s.moreRaw ?? []) m.delete(tags);
          if (store && s.stored) store.remove(s.stored);
          res.expired++;
        }
        if (byLabels.size === 0) {
          this.#series.delete(fam);
          this.#families.delete(fam);
        }
      }
      for (const [k, m] of this.#byRaw) if (m.size === 0) this.#byRaw.delete(k);
    }
    res.series = this.#count;
    return res;
  }

  /**
   * Writes what changed this interval into the store and marks every other live series as fresh (so the store's
   * own staleness sweep never removes a series this table still holds; expiry is statsd.series_ttl's job).
   */
  write(store: Store, nowMs: number): void {
    for (const byLabels of this.#series.values()) for (const s of byLabels.values()) this.#writeState(store, s, nowMs);
    // A new series' identity key is an equal copy of the store's key: keep one string, the store's (re-keyed after
    // the loop, since re-inserting during it would visit the series again).
    for (const s of this.#rekey) {
      const byLabels = this.#series.get(s.desc.name);
      const key = s.stored?.key;
      if (key !== undefined && byLabels?.get(key) === s) {
        byLabels.delete(key);
        byLabels.set(key, s);
      }
    }
    this.#rekey.length = 0;
  }

  #writeState(store: Store, s: SeriesState, nowMs: number): void {
    {
      const fresh = s.seenFlush === this.#flushNo;
      const alive = s.stored !== undefined && s.stored.family.series.get(s.stored.key) === s.stored;
      const d = s.dist;
      let windowMoved = false;
      if (d?.window) {
        if (fresh && d.sketch && d.window[d.window.length - 1]?.[0] !== this.#flushNo) d.window.push([this.#flushNo, d.sketch]);
        const oldest = this.#flushNo - (this.#o.summaryWindow ?? 1);
        while (d.window.length > 0 && d.window[0]![0] <= oldest) {
          d.window.shift();
          windowMoved = true;
        }
      }
      // An idle set falls to 0 once; an idle summary is rewritten whenever an interval leaves its window.
      const needsIdle = !fresh && ((s.rawType === 's' && !s.idleWritten) || windowMoved);
      if (fresh || needsIdle || !alive) {
        if (!fresh) s.idleWritten = true;
        s.stored = this.#writeOne(store, s, fresh, nowMs);
      } else {
        // Untouched and unchanged: refresh the series' age without a write (no generation bump).
        s.stored!.updatedMs = nowMs;
      }
      // An idle series keeps no interval sketch of its own (a summary's window still holds what it needs).
      if (!fresh && d) d.sketch = undefined;
    }
  }

  /**
   * A series new to this table whose store series already exists (a configuration reload built a new table; the
   * series expired from the table but not from the store): its cumulative values continue from the store's, so a
   * reload is not a counter reset, neither for a Prometheus scraping the agent nor for the aggregator (a reload keeps
   * the reporting epoch, so a counter that restarted and climbed past its old value before a flush would be lost).
   */
  #continueFrom(store: Store, s: SeriesState): void {
    const prev = store.getFamily(s.desc.name)?.series.get(labelKey(s.labels));
    if (!prev || prev.family.type !== s.desc.type) return;
    const d = s.dist;
    if (!d) {
      if (s.desc.type === 'counter' && Number.isFinite(prev.value)) s.value += prev.value;
      return;
    }
    const pd = prev.dist;
    if (!pd) return;
    if (d.bounds) {
      const pb = pd.buckets;
      if (!pb || pb.length !== d.bounds.length || pb.some(([le], i) => le !== d.bounds![i])) return;
      for (let i = 0; i < pb.length; i++) d.bucketCounts![i]! += pb[i]![1];
    }
    d.count += pd.count;
    d.sum += pd.sum;
  }

  #writeOne(store: Store, s: SeriesState, fresh: boolean, nowMs: number): Series | undefined {
    if (s.stored === undefined) this.#continueFrom(store, s);
    let out: Series | undefined;
    const d = s.dist;
    if (d) {
      const dist: Distribution = { count: d.count, sum: d.sum };
      if (d.quantiles && d.window && d.window.length > 0) {
        let sk = d.window[0]![1];
        if (d.window.length > 1) {
          sk = sk.clone();
          for (let i = 1; i < d.window.length; i++) sk.merge(d.window[i]![1]);
        }
        dist.quantiles = sk.quantiles(d.quantiles);
      }
      if (d.bounds) dist.buckets = d.bounds.map((b, i) => [b, d.bucketCounts![i]!] as [number, number]);
      if (d.sketch && fresh) dist.sketch = d.sketch;
      out = store.setDist(s.desc, s.labels, dist, nowMs);
    } else {
      const value = s.rawType === 's' && !fresh ? 0 : s.value;
      out = store.set(s.desc, s.labels, value, nowMs);
    }
    if (out) {
      out.timestampMs = s.timestampMs;
      if (s.stored === undefined) this.#rekey.push(s);
      s.labels = out.labels;
    }
    return out;
  }

  #resolve(e: RawEntry, rawMap: Map<string, SeriesState>, nowMs: number, res: FlushResult): SeriesState | undefined {
    const m = this.#o.mapper.map(e.name);
    if (m?.drop) {
      res.dropped.mapping++;
      return undefined;
    }
    const base = m?.name !== undefined ? sanitizeMetricName(m.name) : sanitizeMetricName(e.name);
    const isDist = e.type === 'ms' || e.type === 'h' || e.type === 'd';
    let type: MetricType;
    let family: string;
    if (e.type === 'c') {
      type = 'counter';
      family = base.endsWith('_total') ? base : base + '_total';
    } else if (isDist) {
      type = m?.observerType ?? this.#o.observerType;
      family = base;
    } else {
      type = 'gauge';
      family = base;
    }
    const labels = this.#o.extraLabels ? withEnvLabels(tagsToLabels(e.tags, m), this.#o.extraLabels) : tagsToLabels(e.tags, m);
    const key = flatLabelKey(labels);
    let byLabels = this.#series.get(family);
    let s = byLabels?.get(key);
    if (!s) {
      const known = this.#families.get(family);
      if (known !== undefined && known.type !== type) {
        res.dropped.type_conflict++;
        this.#o.onTypeConflict?.(family, type, known.type);
        return undefined;
      }
      const inFamily = byLabels?.size ?? 0;
      if (inFamily >= this.#o.maxSeriesPerMetric) {
        res.dropped.per_metric++;
        this.#o.onOverflow?.('per_metric', family);
        return undefined;
      }
      if (this.#count >= this.#o.maxSeries) {
        res.dropped.total++;
        this.#o.onOverflow?.('total', family);
        return undefined;
      }
      let desc = known;
      if (!desc) this.#families.set(family, (desc = { name: family, help: m?.help ?? helpFor(e.type, e.name), type, restartsWithAgent: true }));
      const bounds = type === 'histogram' ? [...(m?.buckets ?? this.#o.buckets)] : undefined;
      s = {
        desc,
        labels,
        value: 0,
        dist: isDist
          ? {
              count: 0,
              sum: 0,
              quantiles: type === 'summary' ? [...(m?.quantiles ?? this.#o.quantiles)] : undefined,
              bounds,
              bucketCounts: bounds ? bounds.map(() => 0) : undefined,
              sketch: undefined,
              window: type === 'summary' ? [] : undefined,
            }
          : undefined,
        timestampMs: undefined,
        seenTick: this.#tickOf(nowMs),
        seenFlush: 0,
        idleWritten: false,
        rawType: e.type,
        rawMap,
        rawTags: e.tags,
        moreRaw: undefined,
        stored: undefined,
      };
      if (!byLabels) this.#series.set(family, (byLabels = new Map()));
      byLabels.set(key, s);
      this.#count++;
    } else {
      (s.moreRaw ??= []).push([rawMap, e.tags]);
    }
    if (s.rawType !== e.type && !(isDist && (s.rawType === 'ms' || s.rawType === 'h' || s.rawType === 'd'))) {
      // "x" as a gauge and "x" as a set share a Prometheus name and type but not a meaning.
      res.dropped.type_conflict++;
      this.#o.onTypeConflict?.(family, type, s.desc.type);
      return undefined;
    }
    rawMap.set(e.tags, s);
    return s;
  }

  #applyEntry(e: RawEntry, nowMs: number, res: FlushResult): void {
    const nameKey = (e.timestamp ? 'T' : '') + e.type + '|' + e.name;
    let rawMap = this.#byRaw.get(nameKey);
    if (!rawMap) this.#byRaw.set(nameKey, (rawMap = new Map()));
    const s = rawMap.get(e.tags) ?? this.#resolve(e, rawMap, nowMs, res);
    if (!s) return;
    const sameFlush = s.seenFlush === this.#flushNo;
    s.seenTick = this.#tickOf(nowMs);
    s.seenFlush = this.#flushNo;
    s.idleWritten = false;
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
        const d = s.dist!;
        if (sameFlush && d.sketch) d.sketch.merge(sk);
        else d.sketch = sk;
        d.count += sk.count;
        d.sum += sk.sum;
        if (d.bounds) {
          const cum = sk.cumulativeCounts(d.bounds);
          for (let i = 0; i < cum.length; i++) d.bucketCounts![i]! += cum[i]![1];
        }
      }
    }
  }
}

/** The store's label key (names sorted, NUL-separated) built as one flat string: it is kept for the series' life. */
function flatLabelKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  const parts: string[] = [];
  for (const n of names) parts.push(n, labels[n]!);
  return parts.length ? parts.join('\u0000') + '\u0000' : '';
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
