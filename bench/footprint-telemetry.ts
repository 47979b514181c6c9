/**
 * CPU of one round of the agent's own telemetry copy: a real agent started in-process with its default config (every
 * component's `outrider_*` metrics registered), its collection rounds driven from here. Each round runs the default
 * host collectors through a collector runner that counts into the agent's telemetry (so the runner's counters move
 * as they do every second), then copies the telemetry into the agent's store, timed alone: CPU (user + system) and
 * wall time of the copy (mean and median), the store generations it spent and the heap it allocated (used heap after
 * minus before, over the rounds no scavenge ran in). Run two builds alternately in the same sitting to compare them.
 * The copy's clock moves 1 s a round (the default collection interval), so the runtime metrics' and the component
 * metrics' refreshes fall as in an agent; every `--scrape-every` rounds a scrape's catch-up (`Telemetry.beforeRead`,
 * where the build has it) is timed with the round.
 *
 *   node dist/bench/footprint-telemetry.js [--rounds=300] [--scrape-every=5] [--dist=/other/checkout/dist]
 */
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { benchArgs } from './args';

const args = benchArgs();
const rounds = Number(args.rounds ?? 300);
const dist = args.dist ?? join(__dirname, '..');
const scrapeEvery = Number(args['scrape-every'] ?? 5);

/* eslint-disable @typescript-eslint/no-require-imports -- the build under test is chosen at run time */
async function main(): Promise<void> {
  const { Agent } = require(join(dist, 'agent/agent')) as typeof import('../agent/agent');
  const { Config } = require(join(dist, 'agent/config/config')) as typeof import('../agent/config/config');
  const { resolvePaths } = require(join(dist, 'agent/collectors/collector')) as typeof import('../agent/collectors/collector');
  const kinds = require(join(dist, 'agent/collectors/kinds')) as typeof import('../agent/collectors/kinds');
  const { hostOptions } = require(join(dist, 'agent/collectors/host/options')) as typeof import('../agent/collectors/host/options');
  const { CollectorRunner } = require(join(dist, 'agent/collectors/runner')) as typeof import('../agent/collectors/runner');
  const { silentLogger } = require(join(dist, 'agent/core/log')) as typeof import('../agent/core/log');
  const { agentKeys } = require(join(dist, 'agent/keys')) as typeof import('../agent/keys');
  // The agent's own rounds once an hour: this script drives them.
  const config = Config.defaults(agentKeys).with({
    listen: '127.0.0.1:0',
    'statsd.listen': ['udp://127.0.0.1:0'],
    'otlp.http.listen': '127.0.0.1:0',
    'otlp.grpc.listen': '127.0.0.1:0',
    'collectors.interval': 3_600_000,
    'collectors.timeout': 3_600_000,
  });
  const agent = new Agent({ config, log: silentLogger() });
  await agent.start();
  hostOptions(config);
  const collectors = kinds.buildCollectors(kinds.selectedCollectorNames(kinds.defaultCollectorNames(), []));
  const runner = new CollectorRunner({ store: agent.store, config, paths: resolvePaths(config), log: silentLogger(), collectors, telemetry: agent.telemetry });
  const copy = selfCopy(agent);
  let clock = Date.now();
  for (let i = 0; i < 20; i++) {
    await runner.collectOnce(); // JIT, statfs thread, descriptors
    await copy((clock += 1000), i % scrapeEvery === scrapeEvery - 1);
  }
  let user = 0;
  let system = 0;
  let wallNs = 0n;
  let generations = 0;
  let allocated = 0;
  let allocRounds = 0;
  const walls: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await runner.collectOnce();
    const g0 = agent.store.generation;
    const h0 = getHeapStatistics().used_heap_size;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await copy((clock += 1000), scrapeEvery > 0 && i % scrapeEvery === scrapeEvery - 1);
    const dt = process.hrtime.bigint() - t0;
    const c = process.cpuUsage(c0);
    const h = getHeapStatistics().used_heap_size - h0;
    if (h >= 0) {
      allocated += h;
      allocRounds++;
    }
    wallNs += dt;
    walls.push(Number(dt) / 1e6);
    generations += agent.store.generation - g0;
    user += c.user;
    system += c.system;
  }
  const ms = (us: number): string => (us / rounds / 1000).toFixed(3);
  console.log(`${dist}: ${agent.telemetry.registry.getMetricsAsArray().length} self metrics, node ${process.version}, ${rounds} rounds, a scrape every ${scrapeEvery}`);
  walls.sort((a, b) => a - b);
  console.log(
    `telemetry copy per round: CPU ${ms(user + system)} ms (user ${ms(user)}, system ${ms(system)}), wall ${(Number(wallNs) / 1e6 / rounds).toFixed(3)} ms (median ${walls[walls.length >> 1]!.toFixed(3)}, p80 ${walls[Math.floor(walls.length * 0.8)]!.toFixed(3)}, p95 ${walls[Math.floor(walls.length * 0.95)]!.toFixed(3)}, max ${walls[walls.length - 1]!.toFixed(3)}), ${(generations / rounds).toFixed(1)} store generations, ${(allocated / Math.max(1, allocRounds) / 1024).toFixed(1)} KiB allocated (${allocRounds} rounds without a scavenge)`,
  );
  await runner.stop();
  await agent.stop();
  process.exit(0);
}

type AgentT = InstanceType<typeof import('../agent/agent').Agent>;

/**
 * The build's copy of the telemetry into the store at `nowMs`, and a scrape's catch-up after it when `scrape`: its
 * self-metrics writer as the agent makes it when it has one, else snapshot + replaceOwned.
 */
function selfCopy(agent: AgentT): (nowMs: number, scrape: boolean) => Promise<void> {
  let mod: {
    TelemetryWriter?: new (
      t: unknown,
      s: unknown,
      owner?: string,
      opts?: { componentRefreshMs?: number },
    ) => { write(nowMs?: number): Promise<void> | void; catchUp?(nowMs?: number): Promise<void> | void };
  } = {};
  try {
    mod = require(join(dist, 'agent/core/telemetry-writer')) as typeof mod;
  } catch {
    // the previous build: no writer
  }
  if (mod.TelemetryWriter) {
    const w = new mod.TelemetryWriter(agent.telemetry, agent.store, 'outrider', { componentRefreshMs: agent.telemetry.runtimeRefreshMs });
    return async (nowMs, scrape) => {
      await w.write(nowMs);
      if (scrape && w.catchUp) await w.catchUp(nowMs);
    };
  }
  return async () => agent.store.replaceOwned('outrider', await agent.telemetry.snapshot());
}

void main();
