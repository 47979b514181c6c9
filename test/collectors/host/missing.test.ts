/** Every host collector on a host that lacks its files: NoDataError (logged once at debug), never a crash. */
import t from 'tap';
import { join } from 'node:path';
import { NoDataError } from '../../../agent/collectors/collector';
import { hostCollectors } from '../../../agent/collectors/host/index';
import { resolvePaths } from '../../../agent/core/options';
import { CollectorRunner } from '../../../agent/collectors/runner';
import { labelKey, Store } from '../../../agent/store/store';
import { collectContext, edgeFixtures, fixtureConfig, fixtureOptions, recordingLogger } from './fixture';

const empty = join(edgeFixtures, 'does-not-exist');

t.test('empty roots', async (t) => {
  for (const c of hostCollectors(fixtureOptions())) {
    const ctx = collectContext({ procfs: empty, sysfs: empty, rootfs: empty });
    if (c.name === 'time') {
      t.ok((await c.collect(ctx)).length >= 2, 'time needs no files');
      continue;
    }
    if (c.name === 'timex') {
      t.equal((await c.collect(ctx)).length, 17, 'timex reads the kernel, not files (the fixture injects its reading)');
      continue;
    }
    if (c.name === 'selinux') {
      t.same(
        (await c.collect(ctx)).map((f) => [f.name, f.samples[0]?.value]),
        [['node_selinux_enabled', 0]],
        'selinux: a host without it reports enabled 0',
      );
      continue;
    }
    if (c.name === 'bcache' || c.name === 'edac') {
      // node_exporter globs their directories: none there is an empty, successful run (success 1), not "no data".
      t.same(await c.collect(ctx), [], `${c.name}: nothing, and no error`);
      continue;
    }
    if (c.name === 'textfile') {
      t.same(
        (await c.collect(ctx)).map((f) => f.name),
        ['node_textfile_scrape_error'],
        'textfile reads no root',
      );
      continue;
    }
    await t.rejects(c.collect(ctx), NoDataError, `${c.name} reports no data`);
    await c.close?.();
  }
});

/**
 * What each host collector does with the garbled fixture tree (a file present but mangled; the others absent):
 * `issues` returns what parsed and notes the rest, `error` fails the run with a plain Error (success 0, logged),
 * `no_data` has none of its files there, `ok` needs no file that is garbled. A new collector adds its row.
 */
const garbledOutcome: Record<string, 'issues' | 'error' | 'no_data' | 'ok'> = {
  arp: 'no_data',
  bcache: 'ok',
  btrfs: 'no_data',
  infiniband: 'no_data',
  selinux: 'ok',
  fibrechannel: 'no_data',
  ipvs: 'issues',
  nvme: 'no_data',
  tapestats: 'no_data',
  zfs: 'issues',
  bonding: 'no_data',
  dmi: 'no_data',
  edac: 'issues',
  hwmon: 'ok',
  mdadm: 'issues',
  nfs: 'issues',
  nfsd: 'issues',
  powersupplyclass: 'issues',
  rapl: 'issues',
  xfs: 'issues',
  cgroup: 'issues',
  conntrack: 'no_data',
  cpu: 'issues',
  cpufreq: 'no_data',
  diskstats: 'issues',
  entropy: 'error',
  filefd: 'error',
  filesystem: 'issues',
  kernel_hung: 'no_data',
  loadavg: 'error',
  meminfo: 'issues',
  netclass: 'no_data',
  netdev: 'issues',
  netstat: 'issues',
  os: 'no_data',
  pressure: 'issues',
  schedstat: 'no_data',
  sockstat: 'issues',
  softirqs: 'no_data',
  softnet: 'no_data',
  stat: 'error',
  textfile: 'ok',
  thermal_zone: 'no_data',
  time: 'ok',
  timex: 'ok',
  dmmultipath: 'no_data',
  udp_queues: 'no_data',
  uname: 'ok',
  vmstat: 'issues',
  watchdog: 'no_data',
};

t.test('garbled files: what parses is kept and the rest noted, or the run fails with a plain Error; never a crash', async (t) => {
  const garbled = join(edgeFixtures, 'garbled');
  const collectors = hostCollectors(fixtureOptions());
  t.same(collectors.map((c) => c.name).sort(), Object.keys(garbledOutcome).sort(), 'every collector has an expected outcome');
  for (const c of collectors) {
    const ctx = collectContext({ procfs: join(garbled, 'proc'), sysfs: join(garbled, 'sys'), rootfs: garbled });
    const want = garbledOutcome[c.name];
    let got: 'issues' | 'error' | 'no_data' | 'ok';
    let detail = '';
    try {
      await c.collect(ctx);
      got = ctx.issues.length > 0 ? 'issues' : 'ok';
      detail = ctx.issues.join('; ');
    } catch (err) {
      got = err instanceof NoDataError ? 'no_data' : 'error';
      detail = String(err);
      // A programming fault (TypeError on an undefined field, RangeError) is a crash, not a refusal of bad input.
      t.notOk(err instanceof TypeError || err instanceof RangeError, `${c.name}: ${detail}`);
    }
    t.equal(got, want, `${c.name}: ${detail}`);
    await c.close?.();
  }
});

t.test('through the runner: issues are logged once per collector, failures are success 0, the others go on', async (t) => {
  const garbled = join(edgeFixtures, 'garbled');
  const config = fixtureConfig({ 'path.procfs': join(garbled, 'proc'), 'path.sysfs': join(garbled, 'sys'), 'path.rootfs': garbled });
  const { log, warnings } = recordingLogger();
  const store = new Store();
  const collectors = hostCollectors(fixtureOptions());
  const runner = new CollectorRunner({ store, config, paths: resolvePaths(config), log, collectors });
  await runner.collectOnce();
  await runner.collectOnce();
  for (const c of collectors) await c.close?.();
  const success = store.getFamily('node_scrape_collector_success')!;
  for (const [name, outcome] of Object.entries(garbledOutcome)) {
    const v = success.series.get(labelKey({ collector: name }))?.value;
    t.equal(v, outcome === 'issues' || outcome === 'ok' ? 1 : 0, `${name} success`);
  }
  const issueWarnings = warnings.filter((w) => (w as { issue?: string }).issue !== undefined) as Array<{ collector: string; issue: string; more_issues: number }>;
  const withIssues = Object.keys(garbledOutcome).filter((n) => garbledOutcome[n] === 'issues');
  t.same(issueWarnings.map((w) => w.collector).sort(), withIssues.sort(), 'one warning per collector with issues, not one per run');
  t.ok(issueWarnings.every((w) => typeof w.issue === 'string' && w.more_issues >= 0));
});
