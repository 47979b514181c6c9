/** A StatsD series table fed with literal lines, for the tests of what it writes into a store. */
import { Aggregator } from '../../../agent/collectors/statsd/aggregate';
import { Mapper } from '../../../agent/collectors/statsd/mapping';
import { SeriesTable, SeriesTableOptions } from '../../../agent/collectors/statsd/series';
import type { Store } from '../../../agent/store/store';

export const table = (opts: Partial<SeriesTableOptions> = {}): SeriesTable =>
  new SeriesTable({ mapper: new Mapper([]), observerType: 'histogram', quantiles: [0.5], buckets: [1, 10], maxSeriesPerMetric: 1000, maxSeries: 1000, seriesTtlMs: 0, ...opts });

/** One flush interval: the lines aggregated, folded into the table and written to the store. */
export function flush(tbl: SeriesTable, store: Store, lines: string[], now: number): void {
  const agg = new Aggregator();
  for (const l of lines) agg.ingestLine(l);
  tbl.apply(agg.drain().entries, now, store);
  tbl.write(store, now);
}
