/**
 * One full host collection + text render against the real /proc and /sys, side by side with node_exporter's scrape
 * of the same collectors (when prometheus-node-exporter is installed), in the same run, loopback only.
 *
 *   npm run build && node dist/bench/host-collect.js [iterations]
 */
import { spawn, spawnSync } from 'node:child_process';
import { Config } from '../agent/config/config';
import { resolvePaths } from '../agent/collectors/collector';
import { hostCollectors } from '../agent/collectors/host/index';
import { CollectorRunner } from '../agent/collectors/runner';
import { silentLogger } from '../agent/core/log';
import { render } from '../agent/exposition/render';
import { Store } from '../agent/store/store';
import { agentKeys } from '../agent/keys';
import { freePort } from './proc-sample';
import { sameCollectorArgs, sharedCollectors } from './node-exporter-args';

const iterations = Number(process.argv[2] ?? 200);
const deadlineMs = 60_000;

function stats(ms: number[]): { median: number; p90: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p90: at(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const fmt = (x: { median: number; p90: number; mean: number }) => `median ${x.median.toFixed(2)} ms, p90 ${x.p90.toFixed(2)} ms, mean ${x.mean.toFixed(2)} ms`;

/** Starts node_exporter with the same collectors and filters; undefined when it is not installed. */
async function startNodeExporter(config: Config): Promise<{ url: string; stop(): void; binary: string } | undefined> {
  const binary = ['prometheus-node-exporter', 'node_exporter'].find((b) => spawnSync(b, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!binary) return undefined;
  const port = await freePort();
  const ne = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`, ...sameCollectorArgs(config)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/metrics`;
  for (let i = 0; i < 100; i++) {
    try {
      await (await fetch(url)).text();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url, binary, stop: () => ne.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const config = Config.defaults(agentKeys).with({ 'collectors.filesystem.interval': 0 });
  const collectors = hostCollectors();
  const store = new Store();
  const runner = new CollectorRunner({ store, config, paths: resolvePaths(config), log: silentLogger(), collectors });
  await runner.collectOnce(); // warm-up: JIT, statfs thread start
  const ne = await startNodeExporter(config);
  const total: number[] = [];
  const collect: number[] = [];
  const renderMs: number[] = [];
  const scrape: number[] = [];
  let bytes = 0;
  let neBytes = 0;
  const start = Date.now();
  try {
    // Interleaved, so both see the same machine load (the machine is shared and noisy).
    for (let i = 0; i < iterations && Date.now() - start < deadlineMs; i++) {
      const t0 = process.hrtime.bigint();
      await runner.collectOnce();
      const t1 = process.hrtime.bigint();
      const text = render(store, 'text');
      const t2 = process.hrtime.bigint();
      bytes = text.length;
      collect.push(Number(t1 - t0) / 1e6);
      renderMs.push(Number(t2 - t1) / 1e6);
      total.push(Number(t2 - t0) / 1e6);
      if (ne) {
        const s0 = process.hrtime.bigint();
        neBytes = (await (await fetch(ne.url, { headers: { 'accept-encoding': 'identity' } })).text()).length;
        scrape.push(Number(process.hrtime.bigint() - s0) / 1e6);
      }
    }
  } finally {
    ne?.stop();
    for (const c of collectors) await c.close?.();
  }
  const series = [...store.families()].reduce((n, f) => n + f.series.size, 0);
  console.log(`outrider: ${collectors.length} host collectors, ${series} series, ${bytes} bytes, ${total.length} runs`);
  console.log(`  collect + render: ${fmt(stats(total))}`);
  console.log(`  collect only:     ${fmt(stats(collect))}`);
  console.log(`  render only:      ${fmt(stats(renderMs))}`);
  if (!ne) {
    console.log('node_exporter: not installed, no side-by-side figure (apt-get install -y prometheus-node-exporter)');
    return;
  }
  console.log(`node_exporter (${ne.binary}, same ${sharedCollectors.length} collectors): ${neBytes} bytes, ${scrape.length} scrapes over HTTP`);
  console.log(`  scrape:           ${fmt(stats(scrape))}`);
  console.log(`ratio (outrider collect+render / node_exporter scrape), median: ${(stats(total).median / stats(scrape).median).toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
