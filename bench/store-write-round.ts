/**
 * The store's share of a collection round: one round of every default collector's snapshots (`replaceOwned`), taken
 * from the real /proc and /sys, written again and again into a store of this build and of another, interleaved in
 * one process so both see the same load. Each round's samples are fresh objects with new values, as a collector
 * makes them; only the store calls are timed (process CPU time around them).
 *
 *   node dist/bench/store-write-round.js --other=/other/checkout/dist [--rounds=2000]
 */
import { join } from 'node:path';
import { benchArgs } from './args';

const args = benchArgs();
const rounds = Number(args.rounds ?? 2000);
const here = join(__dirname, '..');
const other = args.other;
if (!other) throw new Error('--other=/path/to/other/dist is required');

type FamilySamples = import('../agent/store/types').FamilySamples;
type StoreT = import('../agent/store/store').Store;

/* eslint-disable @typescript-eslint/no-require-imports -- the builds under test are chosen at run time */
async function capture(): Promise<Array<[string, FamilySamples[]]>> {
  const { Config } = require(join(here, 'agent/config/config')) as typeof import('../agent/config/config');
  const { resolvePaths } = require(join(here, 'agent/collectors/collector')) as typeof import('../agent/collectors/collector');
  const kinds = require(join(here, 'agent/collectors/kinds')) as typeof import('../agent/collectors/kinds');
  const { hostOptions } = require(join(here, 'agent/collectors/host/options')) as typeof import('../agent/collectors/host/options');
  const { CollectorRunner } = require(join(here, 'agent/collectors/runner')) as typeof import('../agent/collectors/runner');
  const { silentLogger } = require(join(here, 'agent/core/log')) as typeof import('../agent/core/log');
  const { Store } = require(join(here, 'agent/store/store')) as typeof import('../agent/store/store');
  const { agentKeys } = require(join(here, 'agent/keys')) as typeof import('../agent/keys');
  const config = Config.defaults(agentKeys);
  hostOptions(config);
  const store = new Store();
  const snaps: Array<[string, FamilySamples[]]> = [];
  const replace = store.replaceOwned.bind(store);
  store.replaceOwned = (owner, fams, nowMs) => {
    snaps.push([owner, [...fams]]);
    replace(owner, fams, nowMs);
  };
  const collectors = kinds.buildCollectors(kinds.selectedCollectorNames(kinds.defaultCollectorNames(), []));
  const runner = new CollectorRunner({ store, config, paths: resolvePaths(config), log: silentLogger(), collectors });
  await runner.collectOnce();
  await runner.stop();
  return snaps;
}

/** A collector's next snapshot: the same series in the same order, fresh objects, values moved on. */
const fresh = (fams: FamilySamples[], round: number): FamilySamples[] =>
  fams.map((f) => ({ ...f, samples: f.samples.map((s) => (s.dist ? { labels: { ...s.labels }, dist: s.dist } : { labels: { ...s.labels }, value: (s.value ?? 0) + round })) }));

async function main(): Promise<void> {
  const snaps = await capture();
  const samples = snaps.reduce((n, [, fams]) => n + fams.reduce((m, f) => m + f.samples.length, 0), 0);
  const builds = [here, other].map((dist) => {
    const { Store } = require(join(dist, 'agent/store/store')) as typeof import('../agent/store/store');
    return { dist, store: new Store() as StoreT, us: [] as number[] };
  });
  for (let r = 0; r < rounds; r++) {
    const now = Date.now() + r * 1000;
    for (const b of r % 2 === 0 ? builds : [...builds].reverse()) {
      const round = snaps.map(([owner, fams]) => [owner, fresh(fams, r)] as const);
      const c0 = process.cpuUsage();
      for (const [owner, fams] of round) b.store.replaceOwned(owner, fams, now);
      const c = process.cpuUsage(c0);
      b.us.push(c.user + c.system);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`node ${process.version}: ${snaps.length} snapshots, ${samples} samples a round, ${rounds} rounds (the first fifth left out)`);
  const skip = Math.floor(rounds / 5);
  for (const b of builds) console.log(`${b.dist}: store CPU per round mean ${(mean(b.us.slice(skip)) / 1000).toFixed(3)} ms, median ${(median(b.us.slice(skip)) / 1000).toFixed(3)} ms`);
  console.log(`this / other (mean): ${(mean(builds[0]!.us.slice(skip)) / mean(builds[1]!.us.slice(skip))).toFixed(2)}`);
  process.exit(0);
}

void main();
