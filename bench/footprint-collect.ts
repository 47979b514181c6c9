/**
 * CPU time of one collection round: every collector the agent runs by default, through the collector runner, into a
 * store, against the real /proc and /sys. CPU (user + system, process.cpuUsage) rather than wall time, so a loaded
 * machine moves the figure less; run two builds alternately in the same sitting to compare them.
 *
 *   node dist/bench/footprint-collect.js [--rounds=300] [--dist=/other/checkout/dist]
 */
import { join } from 'node:path';
import { benchArgs } from './args';

const args = benchArgs();
const rounds = Number(args.rounds ?? 300);
const dist = args.dist ?? join(__dirname, '..');

/* eslint-disable @typescript-eslint/no-require-imports -- the build under test is chosen at run time */
async function main(): Promise<void> {
  const { Config } = require(join(dist, 'agent/config/config')) as typeof import('../agent/config/config');
  const { resolvePaths } = require(join(dist, 'agent/collectors/collector')) as typeof import('../agent/collectors/collector');
  const kinds = require(join(dist, 'agent/collectors/kinds')) as typeof import('../agent/collectors/kinds');
  const { hostOptions } = require(join(dist, 'agent/collectors/host/options')) as typeof import('../agent/collectors/host/options');
  const { CollectorRunner } = require(join(dist, 'agent/collectors/runner')) as typeof import('../agent/collectors/runner');
  const { silentLogger } = require(join(dist, 'agent/core/log')) as typeof import('../agent/core/log');
  const { Store } = require(join(dist, 'agent/store/store')) as typeof import('../agent/store/store');
  const { agentKeys } = require(join(dist, 'agent/keys')) as typeof import('../agent/keys');
  const config = Config.defaults(agentKeys);
  hostOptions(config);
  const collectors = kinds.buildCollectors(kinds.selectedCollectorNames(kinds.defaultCollectorNames(), []));
  const runner = new CollectorRunner({ store: new Store(), config, paths: resolvePaths(config), log: silentLogger(), collectors });
  for (let i = 0; i < 20; i++) await runner.collectOnce(); // JIT, statfs thread, descriptors
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await runner.collectOnce();
  const c = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  const ms = (us: number): string => (us / rounds / 1000).toFixed(2);
  console.log(`${dist}: ${collectors.length} collectors, node ${process.version}, ${rounds} rounds`);
  console.log(`CPU per round ${ms(c.user + c.system)} ms (user ${ms(c.user)}, system ${ms(c.system)}), wall ${wall.toFixed(2)} ms`);
  await runner.stop();
  process.exit(0);
}

void main();
