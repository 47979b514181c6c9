/**
 * What one series costs the local history in JS heap, the way StatsD's series reach it: counters written into a
 * store through their handles (a new value every round, as under a steady load), a history sampling the store once a
 * round through its change feed. Heap used after full collections with the store alone and with the history on it;
 * the difference over N is the history's live cost per series. What a round allocates is the heap used before and
 * after it with a young generation large enough that no collection runs in between, over the last 10 rounds (after
 * the code is optimized), less what the store's change feed allocates for the same round (measured on its own call
 * just before). Then a query of every series and a query of one family, timed (best of `--queries`).
 *
 *   node --expose-gc --max-semi-space-size=256 dist/bench/history-series-cost.js [--series=10000,100000] [--rounds=30]
 *     [--dist=/other/checkout/dist] [--snapshot]
 *
 * `--snapshot` takes a heap snapshot after the rounds and prints the largest object kinds by self size.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { heapKinds } from './heap-kinds';

const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const seriesList = arg('series', '10000,100000').split(',').map(Number);
const rounds = Math.max(12, Number(arg('rounds', '30')));
const queries = Number(arg('queries', '5'));
const dist = resolve(arg('dist', join(__dirname, '..')));
const snapshot = process.argv.includes('--snapshot');

/* eslint-disable @typescript-eslint/no-require-imports */
const { Store } = require(join(dist, 'agent/store/store')) as typeof import('../agent/store/store');
const { LocalHistory } = require(join(dist, 'agent/history/history')) as typeof import('../agent/history/history');
/* eslint-enable @typescript-eslint/no-require-imports */
type StoreT = InstanceType<typeof Store>;
type Handle = ReturnType<StoreT['setSample']>;

const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('needs node --expose-gc');
const gc: () => void = maybeGc;
const used = () => {
  for (let k = 0; k < 4; k++) gc();
  return process.memoryUsage().heapUsed;
};
const flat = (x: string) => Buffer.from(x).toString();
const descs = Array.from({ length: 100 }, (_, k) => ({ name: `bench_m${k}_total`, help: 'x', type: 'counter' as const, restartsWithAgent: true as const }));

function run(n: number): void {
  const store = new Store({ maxSeries: n + 1000 });
  const handles = new Array<Handle>(n).fill(undefined);
  const t0 = Date.now();
  for (let k = 0; k < n; k++) handles[k] = store.setSample(descs[k % 100]!, { labels: { s: flat(String(Math.floor(k / 100))) }, value: 1 }, t0);
  const write = (round: number) => {
    for (let k = 0; k < n; k++) store.writeHandle(handles[k]!, k + round * 3 + 0.5, undefined, t0 + round * 1000);
  };
  const view = { families: () => store.families(), changesSince: (g: number) => store.changesSince(g) };
  write(0);
  const storeOnly = used();
  if (process.argv.includes('--snapshot-store')) {
    const file = writeHeapSnapshot(join(tmpdir(), `history-cost-${process.pid}.heapsnapshot`));
    summarize(file);
    rmSync(file);
  }
  const history = new LocalHistory({ stepMs: 1000, retentionMs: 3_600_000, maxSeries: n + 1000, maxBytes: 1 << 30 });
  const garbage: number[] = [];
  const feed: number[] = [];
  const roundMs: number[] = [];
  let gen = store.changesSince(-1).generation;
  for (let r = 1; r <= rounds; r++) {
    write(r);
    gc(); // the round's young generation starts empty
    const a = process.memoryUsage().heapUsed;
    gen = store.changesSince(gen).generation;
    const before = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    history.sample(view, t0 + r * 1000);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r > rounds - 10) {
      roundMs.push(ms);
      feed.push(before - a);
      garbage.push(process.memoryUsage().heapUsed - before);
    }
  }
  const withHistory = used();
  const live = withHistory - storeOnly;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // Allocated by the round itself (its new bits included, a few bytes a series), less the change feed's share.
  const perRound = mean(garbage) - mean(feed);
  roundMs.sort((a, b) => a - b);
  const all = [{ name: '__name__', type: '=~' as const, value: 'bench_.+' }];
  const one = [{ name: '__name__', type: '=' as const, value: 'bench_m7_total' }];
  const time = (f: () => unknown) => {
    let best = Infinity;
    for (let q = 0; q < queries; q++) {
      const s = process.hrtime.bigint();
      f();
      best = Math.min(best, Number(process.hrtime.bigint() - s) / 1e6);
    }
    return best;
  };
  const end = t0 + rounds * 1000;
  let count = 0;
  const qAll = time(() => (count = history.select(all, t0, end).length));
  const qOne = time(() => history.select(one, t0, end));
  const fmt = (x: number) => x.toFixed(1);
  console.log(
    `${n} series, ${rounds} rounds: history live ${fmt(live / 1048576)} MiB = ${fmt(live / n)} B/series (held bytes ${history.bytes}), ` +
      `allocated per round ${fmt(perRound / n)} B/series (+ ${fmt(mean(feed) / n)} by the store's change feed), round median ${fmt(roundMs[roundMs.length >> 1]!)} ms; ` +
      `select all (${count} series) ${fmt(qAll)} ms, one family ${fmt(qOne)} ms`,
  );
  if (snapshot) {
    const file = writeHeapSnapshot(join(tmpdir(), `history-cost-${process.pid}.heapsnapshot`));
    summarize(file);
    rmSync(file);
  }
  handles.fill(undefined);
  void store;
}

/** The largest object kinds of a heap snapshot by self size (type and name). */
function summarize(file: string): void {
  const named = (type: string): boolean => type === 'object' || type === 'native' || type === 'hidden' || type === 'object shape' || type === 'array';
  for (const [k, e] of heapKinds(file, named).slice(0, 25)) console.log(`  ${String(e.bytes).padStart(10)} B ${String(e.count).padStart(8)}  ${k}`);
}

for (const n of seriesList) run(n);
