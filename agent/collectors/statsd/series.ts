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
 *
 * This file folds intervals in and expires series; series-write.ts writes the table into the store,
 * series-labels.ts turns tags into labels, series-state.ts holds the per-series state.
 */
import { withEnvLabels } from '../../core/labels';
import { labelKey, Store } from '../../store/store';
import { FamilyDesc, MetricType, sanitizeMetricName } from '../../store/types';
import type { RawEntry } from './aggregate';
import { helpFor, tagsToLabels } from './series-labels';
import type { FlushResult, SeriesState, SeriesTableOptions } from './series-state';
import { SeriesWriter } from './series-write';

export type { FlushResult, SeriesTableOptions } from './series-state';
export { tagsToLabels } from './series-labels';

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
  readonly #writer: SeriesWriter;

  constructor(opts: SeriesTableOptions) {
    this.#o = opts;
    this.#writer = new SeriesWriter(opts.summaryWindow);
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
    const res: FlushResult = { series: 0, dropped: { per_metric: 0, total: 0, memory: 0, type_conflict: 0, mapping: 0 }, expired: 0 };
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
    for (const byLabels of this.#series.values()) for (const s of byLabels.values()) this.#writer.writeState(store, s, this.#flushNo, nowMs);
    // A new series' identity key is an equal copy of the store's key: keep one string, the store's (re-keyed after
    // the loop, since re-inserting during it would visit the series again).
    for (const s of this.#writer.rekey) {
      const byLabels = this.#series.get(s.desc.name);
      const key = s.stored?.key;
      if (key !== undefined && byLabels?.get(key) === s) {
        byLabels.delete(key);
        byLabels.set(key, s);
      }
    }
    this.#writer.rekey.length = 0;
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
    const key = labelKey(labels);
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
      if (this.#o.admitNew && !this.#o.admitNew()) {
        res.dropped.memory++;
        this.#o.onOverflow?.('memory', family);
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
