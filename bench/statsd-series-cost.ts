/**
 * What one StatsD series costs the agent in memory, at 10k, 100k and 200k distinct series: the agent is started
 * the way a user starts it (the launcher, its V8 flags), its RSS and V8 heap read before any StatsD traffic and again
 * after bench/statsd-sender.c sent every series several times and two flushes passed; the difference over N is the
 * cost per series (series table, store, native aggregator, the interval's keys). The peak RSS under the sending rate
 * is reported too, since that is what a cgroup limit meets. Loopback only, bounded in time.
 *
 *   node dist/bench/statsd-series-cost.js [--series=10000,100000,200000] [--rate=1000000] [--seconds=4] [--flush=1s]
 *     [--bin=/other/checkout/bin/outrider.js[,...]]   (several launchers: each N runs on each, alternated, same sitting)
 *
 * In process, the JS heap alone (no sockets, no agent): the series table with its store, and the store alone, fed
 * the same counter series ("bench.m<k % 100>" tagged "s:<k / 100>"), measured after full GCs:
 *
 *   node --expose-gc dist/bench/statsd-series-cost.js --in-process [--series=100000] [--dist=/other/checkout/dist]
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { RawEntry } from '../agent/collectors/statsd/aggregate';
import { buildSender } from './footprint-statsd';
import { coldStartMs, startAgent } from './footprint-procs';
import { statusField } from './proc-sample';

const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const seriesList = arg('series', '10000,100000,200000').split(',').map(Number);
const rate = Number(arg('rate', '1000000'));
const seconds = Number(arg('seconds', '4'));
const flushS = parseFloat(arg('flush', '1s'));
const bins = arg('bin', '')
  .split(',')
  .filter((b) => b !== '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function heapUsed(url: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const m = /^nodejs_heap_size_used_bytes (\S+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Where the RSS is: V8's committed size per heap space, the heap's total, and the rest (native: addon, buffers). */
async function split(url: string, pid: number): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)/gm)) out[m[1]!] = Number(m[2]);
  const heap = Number(/^nodejs_heap_size_total_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
  out.heap_total = heap;
  out.outside_heap = statusField(pid, 'VmRSS') * 1024 - heap;
  return out;
}

const mib = (b: number) => +(b / 2 ** 20).toFixed(1);

async function one(sender: string, series: number, bin: string | undefined): Promise<void> {
  const agent = await startAgent({
    bin,
    flags: [`--statsd.flush_interval=${flushS}s`, `--statsd.max_series=${series + 1000}`, '--statsd.max_memory=0', '--store.budget.statsd=0', '--memory-limiter.limit=1TiB', '--history.enabled=false'],
  });
  try {
    await coldStartMs(agent);
    await sleep(3000);
    const pid = agent.child.pid!;
    const rss0 = statusField(pid, 'VmRSS') * 1024;
    const heap0 = await heapUsed(agent.url);
    const split0 = await split(agent.url, pid);
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, statusField(pid, 'VmRSS') * 1024)), 100);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(sender, ['127.0.0.1', String(agent.statsdPort), String(rate), String(seconds), 'multi', String(series)], { encoding: 'utf8' }, (err, o) => (err ? reject(err) : resolve(o))),
    );
    const sent = JSON.parse(out) as { lines: number; seconds: number };
    await sleep(2000 * flushS + 1000);
    clearInterval(sampler);
    const rss1 = statusField(pid, 'VmRSS') * 1024;
    // The self telemetry is copied into the store on the collection interval (1 s): wait for a fresh heap figure.
    await sleep(1200);
    const heap1 = await heapUsed(agent.url);
    const split1 = await split(agent.url, pid);
    const text = await (await fetch(agent.url)).text();
    const held = Number(/^outrider_statsd_series (\S+)/m.exec(text)?.[1] ?? NaN);
    const perSeries = (b: number) => (b / held).toFixed(0);
    console.log(
      JSON.stringify({
        ...(bin ? { bin } : {}),
        series,
        held,
        lines_per_sec: Math.round(sent.lines / sent.seconds),
        rss_before_mib: +(rss0 / 2 ** 20).toFixed(1),
        rss_after_mib: +(rss1 / 2 ** 20).toFixed(1),
        rss_peak_mib: +(peak / 2 ** 20).toFixed(1),
        rss_bytes_per_series: perSeries(rss1 - rss0),
        peak_rss_bytes_per_series: perSeries(peak - rss0),
        heap_bytes_per_series: perSeries(heap1 - heap0),
        // MiB added between the two readings: V8's committed heap by space, and RSS outside the V8 heap.
        growth_mib: Object.fromEntries(Object.keys(split1).map((k) => [k, mib((split1[k] ?? 0) - (split0[k] ?? 0))])),
      }),
    );
  } finally {
    await agent.stop();
  }
}

/** Heap bytes per series after full GCs: the table and its store after three flushes, and the store alone. */
function inProcess(series: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('--in-process needs node --expose-gc');
  const dist = resolve(arg('dist', join(__dirname, '..')));
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { SeriesTable } = require(join(dist, 'agent/collectors/statsd/series')) as typeof import('../agent/collectors/statsd/series');
  const { Mapper } = require(join(dist, 'agent/collectors/statsd/mapping')) as typeof import('../agent/collectors/statsd/mapping');
  const { Store } = require(join(dist, 'agent/store/store')) as typeof import('../agent/store/store');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const used = () => {
    for (let k = 0; k < 4; k++) gc();
    return process.memoryUsage().heapUsed;
  };
  // Fresh flat strings per entry, as the native drain hands them over.
  const flat = (x: string) => Buffer.from(x).toString();
  function* entries(): Generator<RawEntry> {
    const e: RawEntry = { type: 'c', name: '', tags: '', value: 1, relative: false, timestamp: 0, sketch: undefined };
    for (let k = 0; k < series; k++) {
      e.name = flat(`bench.m${k % 100}`);
      e.tags = flat(`s:${Math.floor(k / 100)}`);
      yield e;
    }
  }
  const store = new Store({ maxSeries: 10 * series, staleAfterMs: 1e12 });
  const table = new SeriesTable({ mapper: new Mapper([]), observerType: 'summary', quantiles: [0.5], buckets: [1], maxSeriesPerMetric: series, maxSeries: series, seriesTtlMs: 0 });
  const h0 = used();
  let now = Date.now();
  for (let f = 0; f < 3; f++, now += 1000) {
    table.apply(entries(), now, store);
    table.write(store, now);
  }
  const both = used() - h0;
  const alone = new Store({ maxSeries: 10 * series, staleAfterMs: 1e12 });
  const descs = Array.from({ length: 100 }, (_, k) => ({ name: `bench_m${k}_total`, help: 'x', type: 'counter' as const, restartsWithAgent: true as const }));
  const h1 = used();
  for (let k = 0; k < series; k++) alone.setSample(descs[k % 100]!, { labels: { s: String(Math.floor(k / 100)) }, value: 1 }, now);
  const storeOnly = used() - h1;
  // Both stay alive to here (else V8 may collect the first pair while the second is measured).
  if (table.size + store.seriesCount + alone.seriesCount !== 3 * series) throw new Error('not every series was held');
  console.log(
    JSON.stringify({
      dist,
      series,
      table_and_store_bytes_per_series: Math.round(both / series),
      store_alone_bytes_per_series: Math.round(storeOnly / series),
      table_bytes_per_series: Math.round((both - storeOnly) / series),
    }),
  );
}

async function main(): Promise<void> {
  if (process.argv.includes('--in-process')) {
    for (const n of seriesList) inProcess(n);
    return;
  }
  const sender = buildSender();
  if (!sender) throw new Error('no C compiler: cannot build bench/statsd-sender.c');
  console.log(`node ${process.version}, ${rate} lines/s asked for ${seconds} s, flush every ${flushS} s`);
  for (const n of seriesList) for (const bin of bins.length > 0 ? bins : [undefined]) await one(sender, n, bin);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
