/**
 * The local analysis's cost, side by side with the agent it runs in.
 *
 * 1. The default host series at 1 s: a real agent (default collectors, history on, analysis off) runs `--seconds`;
 *    then the analysis component (default settings) is attached to that agent's history for another `--seconds`.
 *    Reported: the process's CPU (% of one core) and RSS in each half, and the CPU spent inside the analysis rounds.
 * 2. `--series` synthetic gauges (random walks with occasional shifts) in one family, `--rounds` rounds at 1 s of
 *    history time, replayed as fast as they go: the history's sampling time per round against the analysis's round
 *    time, the analysis's heap per followed series, and the history's bytes per stored point against 16 B.
 *
 *   npm run build && node --expose-gc dist/bench/analysis.js [--seconds=30] [--series=10000] [--rounds=300]
 */
import { Analysis } from '../agent/analysis/analysis';
import { optionsFrom } from '../agent/analysis/options';
import { Agent } from '../agent/agent';
import { silentLogger } from '../agent/core/log';
import { LocalHistory } from '../agent/history/history';
import { defaultConfig } from '../agent/keys';
import { Store } from '../agent/store/store';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const seconds = arg('seconds', 30);
const nSeries = arg('series', 10_000);
const rounds = arg('rounds', 300);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

async function defaultSeries(): Promise<void> {
  const config = defaultConfig().with({
    listen: '127.0.0.1:0',
    'statsd.listen': ['udp://127.0.0.1:0'],
    'otlp.http.listen': '127.0.0.1:0',
    'otlp.grpc.listen': '127.0.0.1:0',
    'collectors.interval': 1000,
    'history.step': 1000,
    'analysis.enabled': false,
  });
  const agent = new Agent({ config, log: silentLogger() });
  await agent.start();
  await sleep(3000); // the first collections and the JIT settle
  const measure = async () => {
    gc();
    const c0 = cpuMs();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    return { cpu: (100 * (cpuMs() - c0)) / (performance.now() - t0), rss: process.memoryUsage().rss };
  };
  const off = await measure();
  const on = new Analysis({ history: agent.history!, store: agent.store, options: optionsFrom(defaultConfig()) });
  let inside = 0;
  const unsubscribe = agent.history!.subscribe((t) => {
    const c = cpuMs();
    on.round(t);
    inside += cpuMs() - c;
  });
  const insideStart = inside;
  const measured = await measure();
  unsubscribe();
  await agent.stop();
  const followed = [...(agent.store.getFamily('outrider_analysis_series')?.series.values() ?? [])].reduce((n, s) => n + (s.value ?? 0), 0);
  console.log(`default host series at 1 s, ${seconds} s each (${followed} series analysed, ${agent.store.seriesCount} in the store):`);
  console.log(`  analysis off: process CPU ${off.cpu.toFixed(2)} % of a core, RSS ${mib(off.rss)} MiB`);
  console.log(`  analysis on:  process CPU ${measured.cpu.toFixed(2)} % of a core, RSS ${mib(measured.rss)} MiB`);
  console.log(`  inside the analysis rounds: ${((100 * (inside - insideStart)) / (seconds * 1000)).toFixed(3)} % of a core; RSS on − off ${mib(measured.rss - off.rss)} MiB`);
}

function synthetic(): void {
  const store = new Store({ maxSeries: nSeries + 100 });
  const history = new LocalHistory({ stepMs: 1000, retentionMs: (rounds + 10) * 1000, maxSeries: nSeries + 100, maxBytes: 2 ** 40 });
  const fam = { name: 'synthetic_value', help: 'h', type: 'gauge' as const };
  const values = new Float64Array(nSeries).map((_, i) => 100 + i);
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const options = { ...optionsFrom(defaultConfig()), families: ['synthetic_value'], maxSeries: nSeries };
  const analysis = new Analysis({ history, store: { replaceOwned: () => undefined, dropOwner: () => undefined }, options });
  const labels = Array.from({ length: nSeries }, (_, i) => ({ i: String(i) }));
  let sampleMs = 0;
  let analysisMs = 0;
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let heapAfterFirst = 0;
  const t0 = 1_700_000_000_000;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < nSeries; i++) {
      values[i] = values[i]! + rand() + (rand() > 0.4995 ? 50 : 0);
      store.set(fam, labels[i]!, values[i]!, t0 + r * 1000);
    }
    let c = cpuMs();
    history.sample(store, t0 + r * 1000);
    sampleMs += cpuMs() - c;
    if (r === 0) {
      gc();
      heapAfterFirst = process.memoryUsage().heapUsed;
    }
    c = cpuMs();
    analysis.round(t0 + r * 1000);
    analysisMs += cpuMs() - c;
    if (r === 0) {
      gc();
      heapAfterFirst = process.memoryUsage().heapUsed - heapAfterFirst;
    }
  }
  void heap0;
  const parts = history.byteParts();
  const bytes = parts.sealed + parts.open + parts.rounds + parts.series;
  console.log(`${nSeries} synthetic series, ${rounds} rounds at 1 s of history time:`);
  console.log(`  history sampling: ${(sampleMs / rounds).toFixed(2)} ms CPU per round (${(sampleMs / rounds / 10).toFixed(2)} % of a core at 1 s)`);
  console.log(
    `  analysis:         ${(analysisMs / rounds).toFixed(2)} ms CPU per round (${(analysisMs / rounds / 10).toFixed(2)} % of a core at 1 s), ×${(analysisMs / sampleMs).toFixed(2)} the sampling`,
  );
  console.log(`  analysis heap after its first round: ${mib(heapAfterFirst)} MiB (${(heapAfterFirst / nSeries).toFixed(0)} B per series)`);
  console.log(`  history: ${(bytes / (nSeries * rounds)).toFixed(2)} B per point (all parts) vs 16 B uncompressed (×${(16 / (bytes / (nSeries * rounds))).toFixed(1)})`);
}

void (async () => {
  synthetic();
  if (seconds > 0) await defaultSeries();
})();
