/**
 * What one series costs the store in JS heap, written through the entry points its writers use: StatsD's way
 * (`setSample` for a new series, then `writeHandle` with doubles), the scrape's way (`replaceOwnedHeld`, one owner
 * per target, held handles kept between snapshots), and what the render cache adds after one render of each format.
 * Heap used after full collections, before and after; the difference over N is the cost per series.
 *
 *   node --expose-gc dist/bench/store-series-cost.js [--series=100000] [--dist=/other/checkout/dist] [--snapshot=statsd|scrape]
 *
 * `--snapshot` also takes a heap snapshot after the writes and prints the largest object kinds by self size (one
 * mode, 10k series is enough).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { heapKinds } from './heap-kinds';

const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const seriesList = arg('series', '100000').split(',').map(Number);
const dist = resolve(arg('dist', join(__dirname, '..')));
const snapshotMode = arg('snapshot', '');

/* eslint-disable @typescript-eslint/no-require-imports */
const { Store } = require(join(dist, 'agent/store/store')) as typeof import('../agent/store/store');
const { RenderCache } = require(join(dist, 'agent/exposition/cache')) as typeof import('../agent/exposition/cache');
/* eslint-enable @typescript-eslint/no-require-imports */
type StoreT = InstanceType<typeof Store>;
type HeldSample = import('../agent/store/store').HeldSample;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('needs node --expose-gc');
const used = () => {
  for (let k = 0; k < 4; k++) gc();
  return process.memoryUsage().heapUsed;
};
const buffers = () => process.memoryUsage().arrayBuffers;
// Fresh flat strings, as a parser or the native drain hands them over.
const flat = (x: string) => Buffer.from(x).toString();

/**
 * StatsD's way: counters by label set once, then through the handle with non-integer values. The handles' array is
 * the writer's, made before the heap is first read.
 */
function statsdPrep(n: number): (store: StoreT) => void {
  const descs = Array.from({ length: 100 }, (_, k) => ({ name: `bench_m${k}_total`, help: 'x', type: 'counter' as const, restartsWithAgent: true as const }));
  const handles = new Array<ReturnType<StoreT['setSample']>>(n).fill(undefined);
  keep.push(handles);
  return (store) => {
    const now = Date.now();
    for (let k = 0; k < n; k++) handles[k] = store.setSample(descs[k % 100]!, { labels: { s: flat(String(Math.floor(k / 100))) }, value: 1 }, now);
    for (let round = 1; round <= 3; round++) for (let k = 0; k < n; k++) store.writeHandle(handles[k]!, k + round + 0.5, undefined, now + round * 1000);
  };
}

/**
 * The scrape's way: 100 targets, each a snapshot of its series through held handles, three scrapes. The held
 * samples are the scraper's, made before the heap is first read (their first label objects are kept alive, so that
 * only the store's own copy counts).
 */
function scrapePrep(n: number): (store: StoreT) => void {
  const targets = 100;
  const per = Math.ceil(n / targets);
  const fams = Array.from({ length: 50 }, (_, k) => ({ name: `app_metric_${k}`, help: `Metric ${k}.`, type: 'gauge' as const }));
  const held: HeldSample[][] = [];
  for (let t = 0; t < targets; t++) {
    const hs: HeldSample[] = [];
    for (let i = 0; i < per && t * per + i < n; i++) {
      const labels = { job: 'app', instance: flat(`10.0.${t >> 8}.${t & 255}:9100`), path: flat(`/api/v${i % 7}/r${Math.floor(i / 50)}`) };
      hs.push({ family: fams[i % 50]!, labels, value: 0, timestampMs: undefined, series: undefined });
    }
    held.push(hs);
  }
  keep.push(
    held,
    held.map((hs) => hs.map((h) => h.labels)),
  );
  return (store) => {
    const now = Date.now();
    for (let round = 0; round < 3; round++) {
      for (let t = 0; t < targets; t++) {
        for (const h of held[t]!) h.value = round * 7 + t + 0.25;
        store.replaceOwnedHeld(`scrape:app/${t}`, [], held[t]!, now + round * 1000);
      }
    }
  };
}

const keep: unknown[] = [];

function topKinds(file: string): void {
  const named = (type: string): boolean => type !== 'string' && type !== 'concatenated string' && type !== 'sliced string';
  for (const [k, e] of heapKinds(file, named).slice(0, 14))
    console.log(`  ${(e.bytes / 1024).toFixed(0).padStart(8)} KiB ${String(e.count).padStart(8)} × ${(e.bytes / e.count).toFixed(1).padStart(6)} B  ${k}`);
}

function one(mode: 'statsd' | 'scrape', n: number): void {
  const run = mode === 'statsd' ? statsdPrep(n) : scrapePrep(n);
  const h0 = used();
  const store = new Store({ maxSeries: 10 * n, staleAfterMs: 1e12 });
  run(store);
  const h1 = used();
  if (store.seriesCount !== n) throw new Error(`${store.seriesCount} series held, ${n} written`);
  const b1 = buffers();
  const cache = new RenderCache(store);
  const text = cache.get('text', false).length;
  const om = cache.get('openmetrics', false).length;
  const h2 = used();
  const b2 = buffers();
  console.log(
    JSON.stringify({
      mode,
      series: n,
      store_bytes_per_series: Math.round((h1 - h0) / n),
      render_cache_heap_bytes_per_series: Math.round((h2 - h1) / n),
      // Typed arrays (each series' offsets and generations per format), the two bodies apart.
      render_cache_arrays_bytes_per_series: Math.round((b2 - b1 - text - om) / n),
      body_bytes_per_series: Math.round((text + om) / n),
    }),
  );
  if (snapshotMode === mode) {
    const file = writeHeapSnapshot(join(tmpdir(), `store-series-${process.pid}.heapsnapshot`));
    console.log(`${mode}, ${n} series: largest kinds in the heap (self size)`);
    topKinds(file);
    rmSync(file);
  }
  keep.push(store, cache);
  keep.length = 0;
}

console.log(`node ${process.version}, ${dist}`);
for (const n of seriesList) for (const mode of ['statsd', 'scrape'] as const) one(mode, n);
