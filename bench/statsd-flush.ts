/**
 * The JS side of a StatsD flush, in process: the series table folding in one drained interval and writing the store
 * (bench/statsd-ingest.ts measures the socket side). 100k counter series by default; three cases per flush: every
 * series changed, and 1% changed (the rest kept alive without a write). Run it on two builds in the same sitting to compare them (the bench README shows how).
 *
 *   node dist/bench/statsd-flush.js [--series=100000] [--flushes=20]
 */
import { Aggregator } from '../agent/collectors/statsd/aggregate';
import { Mapper } from '../agent/collectors/statsd/mapping';
import { SeriesTable } from '../agent/collectors/statsd/series';
import { Store } from '../agent/store/store';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const series = Number(args.series ?? 100_000);
const flushes = Number(args.flushes ?? 20);

function interval(k: number, every: number): Aggregator {
  const agg = new Aggregator();
  for (let i = 0; i < series; i += every) agg.ingestLine(`bench.m${i % 1000}:${k}|c|#s:${i}`);
  return agg;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const store = new Store({ maxSeries: series * 2 });
  const table = new SeriesTable({ mapper: new Mapper([]), observerType: 'histogram', quantiles: [0.5], buckets: [1], maxSeriesPerMetric: series, maxSeries: series, seriesTtlMs: 0 });
  let now = Date.now();
  const flush = (agg: Aggregator): number => {
    const drained = agg.drain();
    now += 10_000;
    const t0 = performance.now();
    table.apply(drained.entries, now, store);
    table.write(store, now);
    return performance.now() - t0;
  };
  const all: number[] = [];
  const some: number[] = [];
  flush(interval(1, 1));
  for (let k = 0; k < flushes; k++) {
    all.push(flush(interval(1, 1)));
    some.push(flush(interval(1, 100)));
  }
  console.log(`node ${process.version}, ${series} series, ${flushes} flushes per case (median ms)`);
  console.log(`| every series changed | ${median(all).toFixed(1)} |`);
  console.log(`| 1% changed, rest kept alive | ${median(some).toFixed(1)} |`);
  console.log(`store series ${store.seriesCount}, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
}

main();
