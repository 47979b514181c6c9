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
 * series-labels.ts turns tags into labels, series-state.ts holds the per-series state (columns indexed by a slot
 * number). A known series costs two map lookups per flush with the engine's strings as keys (its (type, name), then
 * its canonical tags), and its write into the store goes through the store's series handle kept in its slot.
 */
import { withEnvLabels } from '../../core/labels';
import { labelKey, Store } from '../../store/store';
import { FamilyDesc, MetricType, sanitizeMetricName } from '../../store/types';
import type { RawEntry } from './aggregate';
import { helpFor, tagsToLabels } from './series-labels';
import { DistState, F_DIST, F_IDLE_WRITTEN, F_LIVE, F_TIMESTAMP, F_TYPE, FlushResult, RAW_TYPES, rawTypeIndex, SeriesTableOptions, Slots } from './series-state';
import { SeriesWriter } from './series-write';

export type { FlushResult, SeriesTableOptions } from './series-state';
export { tagsToLabels } from './series-labels';

const isDistType = (t: RawEntry['type']): boolean => t === 'ms' || t === 'h' || t === 'd';

export class SeriesTable {
  readonly #o: SeriesTableOptions;
  readonly #slots = new Slots();
  /** Family name → label key (the store's key string once written) → slot: the final identities. */
  readonly #series = new Map<string, Map<string, number>>();
  /**
   * Raw index, one map per raw type (and again for `|T` samples): name → canonical tags → slot. The keys are the
   * strings the engine handed over; no key string is built per entry.
   */
  readonly #byRaw: Array<Map<string, Map<string, number>>> = Array.from({ length: 2 * RAW_TYPES.length }, () => new Map());
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
    const tick = this.#tickOf(nowMs);
    for (const e of entries) this.#applyEntry(e, tick, res);
    if (this.#o.seriesTtlMs > 0) this.#expire(this.#tickOf(nowMs - this.#o.seriesTtlMs), res, store);
    res.series = this.#count;
    return res;
  }

  #expire(cutoff: number, res: FlushResult, store: Store | undefined): void {
    const sl = this.#slots;
    for (let i = 0; i < sl.end; i++) {
      if ((sl.flags[i]! & F_LIVE) === 0 || sl.seenTick[i]! >= cutoff) continue;
      const fam = sl.desc.get(i)!.name;
      const byLabels = this.#series.get(fam);
      const stored = sl.stored.get(i);
      byLabels?.delete(stored?.key ?? labelKey(sl.labelsOf(i)));
      if (byLabels?.size === 0) {
        this.#series.delete(fam);
        this.#families.delete(fam);
      }
      sl.rawMap.get(i)!.delete(sl.rawTags.get(i)!);
      for (const [m, tags] of sl.moreRaw.get(i) ?? []) m.delete(tags);
      if (store && stored) store.remove(stored);
      sl.release(i);
      this.#count--;
      res.expired++;
    }
    if (res.expired > 0) for (const byName of this.#byRaw) for (const [name, m] of byName) if (m.size === 0) byName.delete(name);
  }

  /**
   * Writes what changed this interval into the store and marks every other live series as fresh (so the store's
   * own staleness sweep never removes a series this table still holds; expiry is statsd.series_ttl's job).
   */
  write(store: Store, nowMs: number): void {
    const sl = this.#slots;
    // Family by family (the store's series of one family are looked up together: its index stays in cache).
    for (const byLabels of this.#series.values()) for (const i of byLabels.values()) this.#writer.writeState(store, sl, i, this.#flushNo, nowMs);
    // A series new to the store: its identity key becomes the store's equal key string (one string kept, not two).
    for (const i of this.#writer.rekey) {
      const byLabels = this.#series.get(sl.desc.get(i)!.name);
      const key = sl.stored.get(i)?.key;
      if (key !== undefined && byLabels?.get(key) === i) {
        byLabels.delete(key);
        byLabels.set(key, i);
      }
    }
    this.#writer.rekey.length = 0;
  }

  #resolve(e: RawEntry, rawMap: Map<string, number>, tick: number, res: FlushResult): number | undefined {
    const m = this.#o.mapper.map(e.name);
    if (m?.drop) {
      res.dropped.mapping++;
      return undefined;
    }
    const base = m?.name !== undefined ? sanitizeMetricName(m.name) : sanitizeMetricName(e.name);
    const isDist = isDistType(e.type);
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
    const sl = this.#slots;
    let byLabels = this.#series.get(family);
    let i = byLabels?.get(key);
    if (i === undefined) {
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
      i = sl.alloc();
      sl.flags[i] = F_LIVE | rawTypeIndex(e.type) | (isDist ? F_DIST : 0);
      sl.value[i] = 0;
      sl.seenTick[i] = tick;
      sl.seenFlush[i] = 0;
      sl.desc.set(i, desc);
      sl.rawMap.set(i, rawMap);
      sl.rawTags.set(i, e.tags);
      sl.pendingLabels.set(i, labels);
      if (isDist) sl.dist.set(i, newDist(type, m?.quantiles ?? this.#o.quantiles, m?.buckets ?? this.#o.buckets));
      if (!byLabels) this.#series.set(family, (byLabels = new Map()));
      byLabels.set(key, i);
      this.#count++;
    } else {
      let more = sl.moreRaw.get(i);
      if (!more) sl.moreRaw.set(i, (more = []));
      more.push([rawMap, e.tags]);
    }
    const rawType = RAW_TYPES[sl.flags[i]! & F_TYPE]!;
    if (rawType !== e.type && !(isDist && isDistType(rawType))) {
      // "x" as a gauge and "x" as a set share a Prometheus name and type but not a meaning.
      res.dropped.type_conflict++;
      this.#o.onTypeConflict?.(family, type, sl.desc.get(i)!.type);
      return undefined;
    }
    rawMap.set(e.tags, i);
    return i;
  }

  #applyEntry(e: RawEntry, tick: number, res: FlushResult): void {
    const byName = this.#byRaw[rawTypeIndex(e.type) + (e.timestamp ? RAW_TYPES.length : 0)]!;
    let rawMap = byName.get(e.name);
    if (!rawMap) byName.set(e.name, (rawMap = new Map()));
    const i = rawMap.get(e.tags) ?? this.#resolve(e, rawMap, tick, res);
    if (i === undefined) return;
    const sl = this.#slots;
    const sameFlush = sl.seenFlush[i] === this.#flushNo;
    sl.seenTick[i] = tick;
    sl.seenFlush[i] = this.#flushNo;
    let f = sl.flags[i]! & ~F_IDLE_WRITTEN;
    if (e.timestamp) {
      sl.timestampMs.set(i, e.timestamp * 1000);
      f |= F_TIMESTAMP;
    } else if (f & F_TIMESTAMP) {
      sl.timestampMs.delete(i);
      f &= ~F_TIMESTAMP;
    }
    sl.flags[i] = f;
    switch (e.type) {
      case 'c':
        sl.value[i] += e.value;
        break;
      case 'g':
        sl.value[i] = e.relative ? sl.value[i]! + e.value : e.value;
        break;
      case 's':
        // Two StatsD names mapped onto one series: their distinct counts add up (an upper bound).
        sl.value[i] = sameFlush ? sl.value[i]! + e.value : e.value;
        break;
      default: {
        const sk = e.sketch!;
        const d = sl.dist.get(i)!;
        if (sameFlush && d.sketch) d.sketch.merge(sk);
        else d.sketch = sk;
        d.count += sk.count;
        d.sum += sk.sum;
        if (d.bounds) {
          const cum = sk.cumulativeCounts(d.bounds);
          for (let k = 0; k < cum.length; k++) d.bucketCounts![k]! += cum[k]![1];
        }
      }
    }
  }
}

function newDist(type: MetricType, quantiles: readonly number[], buckets: readonly number[]): DistState {
  const bounds = type === 'histogram' ? [...buckets] : undefined;
  return {
    count: 0,
    sum: 0,
    quantiles: type === 'summary' ? [...quantiles] : undefined,
    bounds,
    bucketCounts: bounds ? bounds.map(() => 0) : undefined,
    sketch: undefined,
    window: type === 'summary' ? [] : undefined,
  };
}
