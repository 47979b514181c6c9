/**
 * Writing the StatsD series table into the store, once per flush: what changed this interval is written (counters
 * and distributions cumulative, sets falling to 0 once idle, summaries rewritten as intervals leave their window,
 * `|T` samples with their own timestamp), and every other live series is kept alive without a write (so the store's
 * staleness sweep never removes a series the table still holds; expiry is statsd.series_ttl's job). Only store
 * methods touch the store's series: a series the store already holds is written through its handle (`writeHandle`,
 * a numeric write with no label-set lookup); a new one, one the store dropped, and `|T` samples by label set.
 */
import { labelKey, Series, Store } from '../../store/store';
import type { Distribution, Sample } from '../../store/types';
import { F_DIST, F_IDLE_WRITTEN, F_TIMESTAMP, F_TYPE, RAW_TYPES, Slots } from './series-state';

const SET = RAW_TYPES.indexOf('s');

export class SeriesWriter {
  /** Slots whose identity key is to be replaced by the store's equal key string (see `SeriesTable.write`). */
  readonly rekey: number[] = [];
  readonly #summaryWindow: number;

  constructor(summaryWindow: number | undefined) {
    this.#summaryWindow = summaryWindow ?? 1;
  }

  /** Writes (or keeps alive) the series in slot `i` after flush number `flushNo`. */
  writeState(store: Store, sl: Slots, i: number, flushNo: number, nowMs: number): void {
    const fresh = sl.seenFlush[i] === flushNo;
    const flags = sl.flags[i]!;
    const d = flags & F_DIST ? sl.dist.get(i) : undefined;
    let windowMoved = false;
    if (d?.window) {
      if (fresh && d.sketch && d.window[d.window.length - 1]?.[0] !== flushNo) d.window.push([flushNo, d.sketch]);
      const oldest = flushNo - this.#summaryWindow;
      while (d.window.length > 0 && d.window[0]![0] <= oldest) {
        d.window.shift();
        windowMoved = true;
      }
    }
    // An idle set falls to 0 once; an idle summary is rewritten whenever an interval leaves its window.
    const needsIdle = !fresh && (((flags & F_TYPE) === SET && (flags & F_IDLE_WRITTEN) === 0) || windowMoved);
    // Untouched and unchanged: refresh the series' age without a write (no generation spent), if it is still stored.
    const stored = sl.stored.get(i);
    if (fresh || needsIdle || stored === undefined || !store.keepAlive(stored, nowMs)) {
      if (!fresh) sl.flags[i] = flags | F_IDLE_WRITTEN;
      this.#writeOne(store, sl, i, fresh, nowMs);
    }
    // An idle series keeps no interval sketch of its own (a summary's window still holds what it needs).
    if (!fresh && d) d.sketch = undefined;
  }

  /**
   * A series new to this table whose store series already exists (a configuration reload built a new table; the
   * series expired from the table but not from the store): its cumulative values continue from the store's, so a
   * reload is not a counter reset, neither for a Prometheus scraping the agent nor for the aggregator (a reload keeps
   * the reporting epoch, so a counter that restarted and climbed past its old value before a flush would be lost).
   */
  #continueFrom(store: Store, sl: Slots, i: number): void {
    const desc = sl.desc.get(i)!;
    const prev = store.getFamily(desc.name)?.series.get(labelKey(sl.labelsOf(i)));
    if (!prev || prev.family.type !== desc.type) return;
    const d = sl.flags[i]! & F_DIST ? sl.dist.get(i) : undefined;
    if (!d) {
      if (desc.type === 'counter' && Number.isFinite(prev.value)) sl.value[i] += prev.value;
      return;
    }
    const pd = prev.dist;
    if (!pd) return;
    if (d.bounds) {
      const pb = pd.buckets;
      if (!pb || pb.length !== d.bounds.length || pb.some(([le], k) => le !== d.bounds![k])) return;
      for (let k = 0; k < pb.length; k++) d.bucketCounts![k]! += pb[k]![1];
    }
    d.count += pd.count;
    d.sum += pd.sum;
  }

  #distOf(sl: Slots, i: number, fresh: boolean): Distribution | undefined {
    const d = sl.flags[i]! & F_DIST ? sl.dist.get(i) : undefined;
    if (!d) return undefined;
    const dist: Distribution = { count: d.count, sum: d.sum };
    if (d.quantiles && d.window && d.window.length > 0) {
      let sk = d.window[0]![1];
      if (d.window.length > 1) {
        sk = sk.clone();
        for (let k = 1; k < d.window.length; k++) sk.merge(d.window[k]![1]);
      }
      dist.quantiles = sk.quantiles(d.quantiles);
    }
    if (d.bounds) dist.buckets = d.bounds.map((b, k) => [b, d.bucketCounts![k]!] as [number, number]);
    if (d.sketch && fresh) dist.sketch = d.sketch;
    return dist;
  }

  #writeOne(store: Store, sl: Slots, i: number, fresh: boolean, nowMs: number): void {
    const flags = sl.flags[i]!;
    const prev = sl.stored.get(i);
    if (prev === undefined) this.#continueFrom(store, sl, i);
    const dist = this.#distOf(sl, i, fresh);
    const value = dist ? dist.count : (flags & F_TYPE) === SET && !fresh ? 0 : sl.value[i]!;
    const ts = flags & F_TIMESTAMP ? sl.timestampMs.get(i) : undefined;
    // The store holds the series: a numeric write through its handle.
    if (prev !== undefined && ts === undefined && store.writeHandle(prev, value, dist, nowMs)) return;
    const labels = sl.labelsOf(i);
    const sample: Sample = { labels, timestampMs: ts };
    if (dist) sample.dist = dist;
    else sample.value = value;
    const out: Series | undefined = store.setSample(sl.desc.get(i)!, sample, nowMs);
    sl.stored.set(i, out);
    if (out) {
      sl.pendingLabels.set(i, undefined);
      if (out !== prev) this.rekey.push(i);
    } else {
      // Refused (a budget, shedding): keep the labels for the next try.
      sl.pendingLabels.set(i, labels);
    }
  }
}
