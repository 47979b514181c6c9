/**
 * The render cache of this build against another build of Outrider (an older revision, checked out and built
 * elsewhere), in one process, rounds interleaved so both see the same load: a store of N series (100 per family),
 * one family changed before each render, and every family changed before each render. Prints medians and the ratio
 * this / other (below 1: this build is faster). With --expose-gc it also prints the memory each build's render
 * cache holds after a text and an OpenMetrics render (the V8 heap it adds; the bodies' bytes), one build at a time.
 *
 *   node --expose-gc dist/bench/render-ab.js --other=/path/to/other/checkout [--series=10000,100000] [--rounds=40]
 */
import { resolve } from 'node:path';

interface StoreLike {
  set(desc: { name: string; help: string; type: 'gauge' }, labels: Record<string, string>, v: number): unknown;
  families(): Iterable<{ name: string; help: string }>;
}
interface CacheLike {
  get(format: 'text' | 'openmetrics', gzip: boolean): Buffer;
}
interface Build {
  Store: new (opts: { maxSeries: number }) => StoreLike;
  RenderCache: new (store: StoreLike) => CacheLike;
}

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
if (!args.other) throw new Error('--other=/path/to/a/built/checkout is required');
const sizes = (args.series ?? '10000,100000').split(',').map(Number);
const rounds = Number(args.rounds ?? 40);

function load(root: string): Build {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { Store } = require(resolve(root, 'dist/agent/store/store')) as Pick<Build, 'Store'>;
  const { RenderCache } = require(resolve(root, 'dist/agent/exposition/cache')) as Pick<Build, 'RenderCache'>;
  return { Store, RenderCache };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function main(): void {
  const builds: Record<'this' | 'other', Build> = { this: load(resolve(__dirname, '..', '..')), other: load(args.other!) };
  console.log(`node ${process.version}, ${rounds} interleaved rounds, medians in ms per render`);
  console.log('| series | case | this build | other build | this / other |');
  console.log('|---:|---|---:|---:|---:|');
  for (const n of sizes) {
    const setups = (['this', 'other'] as const).map((k) => {
      const store = new builds[k].Store({ maxSeries: n + 10 });
      for (let f = 0; f < n / 100; f++) {
        for (let i = 0; i < 100; i++)
          store.set({ name: `bench_metric_${f}_bytes`, help: `Benchmark family ${f}.`, type: 'gauge' }, { instance: `host-${i % 10}`, device: `dev${i}` }, f * 1000 + i + 0.5);
      }
      const cache = new builds[k].RenderCache(store);
      cache.get('text', false);
      const fams = [...store.families()].map((f) => ({ name: f.name, help: f.help, type: 'gauge' as const }));
      return { k, store, cache, fams, v: 0, one: [] as number[], all: [] as number[] };
    });
    for (let r = 0; r < rounds; r++) {
      for (const x of r % 2 ? setups : [...setups].reverse()) {
        let t0 = performance.now();
        for (let j = 0; j < 10; j++) {
          x.store.set(x.fams[0]!, { instance: 'host-0', device: 'dev0' }, x.v++);
          x.cache.get('text', false);
        }
        x.one.push((performance.now() - t0) / 10);
        x.v++;
        for (const f of x.fams) x.store.set(f, { instance: 'host-1', device: 'dev1' }, x.v);
        t0 = performance.now();
        x.cache.get('text', false);
        x.all.push(performance.now() - t0);
      }
    }
    const [a, b] = setups as [(typeof setups)[0], (typeof setups)[0]];
    for (const c of ['one', 'all'] as const) {
      const label = c === 'one' ? 'one family changed' : 'every family changed (render only)';
      console.log(`| ${n} | ${label} | ${median(a[c]).toFixed(2)} | ${median(b[c]).toFixed(2)} | ${(median(a[c]) / median(b[c])).toFixed(2)} |`);
    }
  }
}

/**
 * What a render cache over a store of `n` series holds after one render per format: the V8 heap it adds (after
 * full collections) and the bytes of its two bodies (Buffers outside the heap; external memory itself is freed
 * lazily, so it is not read).
 */
function cacheMemory(b: Build, n: number): { heap: number; bodies: number } | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  const store = new b.Store({ maxSeries: n + 10 });
  for (let f = 0; f < n / 100; f++) {
    for (let i = 0; i < 100; i++) store.set({ name: `bench_metric_${f}_bytes`, help: `Benchmark family ${f}.`, type: 'gauge' }, { instance: `host-${i % 10}`, device: `dev${i}` }, f * 1000 + i + 0.5);
  }
  const heap = (): number => {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().heapUsed; // array buffers are freed lazily: only the heap is compared
  };
  // A first render flattens the store's label texts (built by concatenation): not the cache's memory.
  new b.RenderCache(store).get('openmetrics', false);
  const before = heap();
  const cache = new b.RenderCache(store);
  const bodies = cache.get('text', false).length + cache.get('openmetrics', false).length;
  const after = heap();
  return { heap: after - before, bodies };
}

main();
for (const n of sizes) {
  const mem = (['this', 'other'] as const).map((k) => cacheMemory(load(k === 'this' ? resolve(__dirname, '..', '..') : args.other!), n));
  if (mem[0] === undefined || mem[1] === undefined) {
    console.log("run with --expose-gc for the render caches' memory");
    break;
  }
  const mib = (x: number): string => (x / 2 ** 20).toFixed(1);
  console.log(
    `${n} series, after a render of each format: render cache heap ${mib(mem[0].heap)} MiB (this build), ${mib(mem[1].heap)} MiB (other build); bodies (outside the heap) ${mib(mem[0].bodies)} MiB in both`,
  );
}
