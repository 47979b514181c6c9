/**
 * CPU time of one netclass collection against this host's /sys: from sysfs only (one read per attribute) and with
 * the rtnetlink link dump, alternated in one process so load moves both alike; plus the dump alone; then a whole
 * collection round (every default collector through the runner into a store, as footprint-collect runs it) with
 * either netclass, alternated in the same process.
 *
 *   node dist/bench/netclass-netlink.js [--rounds=2000] [--pairs=5] [--full-rounds=300]
 */
import { Config } from '../agent/config/config';
import { resolvePaths } from '../agent/collectors/collector';
import { buildCollectors, defaultCollectorNames, selectedCollectorNames } from '../agent/collectors/kinds';
import { hostOptions } from '../agent/collectors/host/options';
import { netclassCollector } from '../agent/collectors/host/netclass';
import { CollectorRunner } from '../agent/collectors/runner';
import { Store } from '../agent/store/store';
import { silentLogger } from '../agent/core/log';
import { agentKeys } from '../agent/keys';
import { createLinkDumper } from '../agent/native/netlink';
import { benchArgs } from './args';

const args = benchArgs();
const rounds = Number(args.rounds ?? 2000);
const pairs = Number(args.pairs ?? 5);
const fullRounds = Number(args['full-rounds'] ?? 300);

async function main(): Promise<void> {
  const probe = createLinkDumper();
  const first = probe?.dump();
  if (!probe || !first?.ok) {
    console.log(`no link dump here (${first && !first.ok ? first.reason : 'addon not loaded'})`);
    return;
  }
  const config = Config.defaults(agentKeys);
  const base = { paths: { rootfs: '/', procfs: '/proc', sysfs: '/sys' }, config, log: silentLogger(), signal: new AbortController().signal };
  const ctx = () => ({ ...base, nowMs: Date.now(), issues: [] as string[] });
  const viaSysfs = netclassCollector({ openLinks: () => undefined });
  const viaLinks = netclassCollector();
  const cpu = async (f: () => unknown | Promise<unknown>): Promise<number> => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < rounds; i++) await f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / rounds;
  };
  for (let i = 0; i < 200; i++) {
    await viaSysfs.collect(ctx());
    await viaLinks.collect(ctx());
  }
  const s: number[] = [];
  const l: number[] = [];
  const d: number[] = [];
  for (let p = 0; p < pairs; p++) {
    s.push(await cpu(() => viaSysfs.collect(ctx())));
    l.push(await cpu(() => viaLinks.collect(ctx())));
    d.push(await cpu(() => probe.dump()));
  }
  const med = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  console.log(`netclass, ${first.links.length} interfaces, node ${process.version}, ${pairs} × ${rounds} rounds each, median CPU per collection:`);
  console.log(`  sysfs only        ${med(s).toFixed(1)} µs   (runs: ${s.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`  link dump + sysfs ${med(l).toFixed(1)} µs   (runs: ${l.map((x) => x.toFixed(0)).join(', ')})   ratio ${(med(l) / med(s)).toFixed(2)}`);
  console.log(`  the dump alone    ${med(d).toFixed(1)} µs`);
  viaLinks.close?.();
  probe.close();

  hostOptions(config);
  const runner = (sysfsOnly: boolean): CollectorRunner => {
    const collectors = buildCollectors(selectedCollectorNames(defaultCollectorNames(), [])).map((c) => (c.name === 'netclass' && sysfsOnly ? netclassCollector({ openLinks: () => undefined }) : c));
    return new CollectorRunner({ store: new Store(), config, paths: resolvePaths(config), log: silentLogger(), collectors });
  };
  const a = runner(true);
  const b = runner(false);
  for (let i = 0; i < 20; i++) {
    await a.collectOnce();
    await b.collectOnce();
  }
  const fa: number[] = [];
  const fb: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < fullRounds; i++) await a.collectOnce();
    const c1 = process.cpuUsage(c0);
    fa.push((c1.user + c1.system) / fullRounds);
    const c2 = process.cpuUsage();
    for (let i = 0; i < fullRounds; i++) await b.collectOnce();
    const c3 = process.cpuUsage(c2);
    fb.push((c3.user + c3.system) / fullRounds);
  }
  console.log(`a whole collection round (default collectors), ${pairs} × ${fullRounds} rounds each, median CPU per round:`);
  console.log(`  netclass from sysfs      ${(med(fa) / 1000).toFixed(2)} ms   (runs: ${fa.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
  console.log(`  netclass with the dump   ${(med(fb) / 1000).toFixed(2)} ms   (runs: ${fb.map((x) => (x / 1000).toFixed(2)).join(', ')})   ratio ${(med(fb) / med(fa)).toFixed(2)}`);
  await a.stop();
  await b.stop();
  process.exit(0);
}

void main();
