/**
 * Rendering a store of 10k and 100k series: Outrider's store + renderer against prom-client holding the same
 * series, in the same process and run. Two cases: a changed store (every render is a real render) and repeated
 * scrapes of an unchanged store (Outrider serves cached bytes; prom-client renders again). The every-family case is
 * run in OpenMetrics too. With --expose-gc it also prints the memory a render cache holds after a render of each
 * format: the V8 heap it adds, and its bodies' bytes.
 *
 *   node --expose-gc dist/bench/render.js [--series=10000,100000] [--seconds=3]
 */
import { Gauge, Registry, type RegistryContentType } from 'prom-client';
import { RenderCache } from '../agent/exposition/cache';
import { render } from '../agent/exposition/render';
import { Store } from '../agent/store/store';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const sizes = (args.series ?? '10000,100000').split(',').map(Number);
const seconds = Number(args.seconds ?? 3);

const perFamily = 100;

function build(n: number): { store: Store; registry: Registry; gauges: Gauge[] } {
  const store = new Store({ maxSeries: n + 10 });
  const registry = new Registry();
  const gauges: Gauge[] = [];
  for (let f = 0; f < n / perFamily; f++) {
    const name = `bench_metric_${f}_bytes`;
    const help = `Benchmark family ${f}.`;
    const g = new Gauge({ name, help, labelNames: ['instance', 'device'], registers: [registry] });
    gauges.push(g);
    for (let i = 0; i < perFamily; i++) {
      const labels = { instance: `host-${i % 10}`, device: `dev${i}` };
      const v = f * 1000 + i + 0.5;
      store.set({ name, help, type: 'gauge' }, labels, v);
      g.set(labels, v);
    }
  }
  return { store, registry, gauges };
}

async function timeIt(fn: () => unknown | Promise<unknown>): Promise<{ perSec: number; msPer: number; n: number }> {
  // warm up
  for (let i = 0; i < 2; i++) await fn();
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    await fn();
    n++;
  }
  const ms = performance.now() - t0;
  return { perSec: (n * 1000) / ms, msPer: ms / n, n };
}

const cacheMemory: Array<[number, { heap: number; bodies: number } | undefined]> = [];

/**
 * The V8 heap a new render cache adds after rendering both formats (after full collections; undefined without
 * --expose-gc), and the bytes of its two bodies (Buffers outside the heap).
 */
function retained(make: () => RenderCache): { heap: number; bodies: number } | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  const heap = (): number => {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().heapUsed; // array buffers are freed lazily: only the heap is compared
  };
  // A first render flattens the store's label texts (built by concatenation): not the cache's memory.
  make().get('openmetrics', false);
  const before = heap();
  const cache = make();
  const bodies = cache.get('text', false).length + cache.get('openmetrics', false).length;
  const after = heap();
  return { heap: after - before, bodies };
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${seconds}s per case`);
  console.log('| series | case | Outrider ms/render | prom-client ms/render | speed-up |');
  console.log('|---:|---|---:|---:|---:|');
  for (const n of sizes) {
    const { store, registry } = build(n);
    const a = Buffer.byteLength(render(store, 'text'));
    const b = Buffer.byteLength(await registry.metrics());
    if (Math.abs(a - b) / b > 0.05) console.log(`(body sizes differ: ${a} vs ${b})`);
    // Changed store: bump one value each time so every render is real.
    let k = 0;
    const fam = { name: 'bench_metric_0_bytes', help: 'Benchmark family 0.', type: 'gauge' as const };
    const cache = new RenderCache(store);
    const ours = await timeIt(() => {
      store.set(fam, { instance: 'host-0', device: 'dev0' }, k++);
      return cache.get('text', false);
    });
    const g0 = registry.getSingleMetric('bench_metric_0_bytes') as Gauge;
    const theirs = await timeIt(async () => {
      g0.set({ instance: 'host-0', device: 'dev0' }, k++);
      return registry.metrics();
    });
    console.log(`| ${n} | one family changed | ${ours.msPer.toFixed(2)} | ${theirs.msPer.toFixed(2)} | ${(theirs.msPer / ours.msPer).toFixed(2)}x |`);
    // Every family changed: one series in each family gets a new value before each render.
    const fams = [...store.families()].map((f) => ({ desc: { name: f.name, help: f.help, type: 'gauge' as const } }));
    const allOurs = await timeIt(() => {
      k++;
      for (const f of fams) store.set(f.desc, { instance: 'host-1', device: 'dev1' }, k);
      return cache.get('text', false);
    });
    const gauges = registry.getMetricsAsArray() as unknown as Gauge[];
    const allTheirs = await timeIt(async () => {
      k++;
      for (const g of gauges) g.set({ instance: 'host-1', device: 'dev1' }, k);
      return registry.metrics();
    });
    console.log(`| ${n} | every family changed | ${allOurs.msPer.toFixed(2)} | ${allTheirs.msPer.toFixed(2)} | ${(allTheirs.msPer / allOurs.msPer).toFixed(2)}x |`);
    const cached = await timeIt(() => cache.get('text', false));
    const again = await timeIt(() => registry.metrics());
    console.log(`| ${n} | unchanged (repeat scrape) | ${cached.msPer.toFixed(4)} | ${again.msPer.toFixed(2)} | ${(again.msPer / cached.msPer).toFixed(0)}x |`);
    // The same every-family case in OpenMetrics (prom-client's registry switched to it).
    const omOurs = await timeIt(() => {
      k++;
      for (const f of fams) store.set(f.desc, { instance: 'host-1', device: 'dev1' }, k);
      return cache.get('openmetrics', false);
    });
    (registry as unknown as Registry<RegistryContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const omTheirs = await timeIt(async () => {
      k++;
      for (const g of gauges) g.set({ instance: 'host-1', device: 'dev1' }, k);
      return registry.metrics();
    });
    console.log(`| ${n} | every family changed, OpenMetrics | ${omOurs.msPer.toFixed(2)} | ${omTheirs.msPer.toFixed(2)} | ${(omTheirs.msPer / omOurs.msPer).toFixed(2)}x |`);
    cacheMemory.push([n, retained(() => new RenderCache(store))]);
  }
  for (const [n, m] of cacheMemory) {
    const mib = (x: number): string => (x / 2 ** 20).toFixed(1);
    console.log(
      m === undefined ? 'run with --expose-gc for the render cache memory' : `${n} series: render cache heap ${mib(m.heap)} MiB; bodies (text + OpenMetrics, outside the heap) ${mib(m.bodies)} MiB`,
    );
  }
  const mem = process.memoryUsage();
  console.log(`rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB at exit`);
}

void main();
