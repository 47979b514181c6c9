/**
 * Writing the StatsD series table into the store, once per flush: what changed this interval is written (counters
 * and distributions cumulative, sets falling to 0 once idle, summaries rewritten as intervals leave their window,
 * `|T` samples with their own timestamp), and every other live series is kept alive without a write (so the store's
 * staleness sweep never removes a series the table still holds; expiry is statsd.series_ttl's job). Only store
 * methods touch the store's series.
 */
import { labelKey, Series, Store } from '../../store/store';
import type { Distribution, Sample } from '../../store/types';
import type { SeriesState } from './series-state';

export class SeriesWriter {
  /** Series whose identity key is to be replaced by the store's equal key string (see `SeriesTable.write`). */
  readonly rekey: SeriesState[] = [];
  readonly #summaryWindow: number;

  constructor(summaryWindow: number | undefined) {
    this.#summaryWindow = summaryWindow ?? 1;
  }

  /** Writes (or keeps alive) one series after flush number `flushNo`. */
  writeState(store: Store, s: SeriesState, flushNo: number, nowMs: number): void {
    const fresh = s.seenFlush === flushNo;
    const d = s.dist;
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
    const needsIdle = !fresh && ((s.rawType === 's' && !s.idleWritten) || windowMoved);
    // Untouched and unchanged: refresh the series' age without a write (no generation spent), if it is still stored.
    if (fresh || needsIdle || s.stored === undefined || !store.keepAlive(s.stored, nowMs)) {
      if (!fresh) s.idleWritten = true;
      s.stored = this.#writeOne(store, s, fresh, nowMs);
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
    const sample: Sample = { labels: s.labels, timestampMs: s.timestampMs };
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
      sample.dist = dist;
    } else {
      sample.value = s.rawType === 's' && !fresh ? 0 : s.value;
    }
    const out = store.setSample(s.desc, sample, nowMs);
    if (out) {
      if (s.stored === undefined) this.rekey.push(s);
      s.labels = out.labels;
    }
    return out;
  }
}
