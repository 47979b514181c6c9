/**
 * Agreement with the real node_exporter on the checked-in fixture host: node_exporter reads test/fixtures/host
 * (--path.procfs/sysfs/rootfs) with only the collectors below enabled, the agent's collectors read the same tree,
 * and every family of those collectors must match exactly: name, type, help, label sets and values. The fixture is
 * static, so values compare exactly. Differences node_exporter's later releases made are listed with their reason.
 * Skips when prometheus-node-exporter is not installed; under CI=true a missing binary is a failure.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { get } from '../../helpers/agent';
import { labelKey, parseExposition, ParsedFamily } from '../../helpers/prom-parse';
import { collectFixture, fixtureConfig, fixtureHost } from './fixture';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Config } from '../../../agent/config/config';
import { agentKeys } from '../../../agent/keys';

const binary = ['prometheus-node-exporter', 'node_exporter'].find((b) => spawnSync(b, ['--version'], { stdio: 'ignore' }).status === 0);

/** Collector → the family-name prefixes it writes. */
export const compared: Record<string, string[]> = {
  hwmon: ['node_hwmon_'],
  nfs: ['node_nfs_'],
  nfsd: ['node_nfsd_'],
  bonding: ['node_bonding_'],
  dmi: ['node_dmi_'],
  edac: ['node_edac_'],
  mdadm: ['node_md_'],
  powersupplyclass: ['node_power_supply_'],
  rapl: ['node_rapl_'],
  xfs: ['node_xfs_'],
  nvme: ['node_nvme_'],
  fibrechannel: ['node_fibrechannel_'],
  tapestats: ['node_tape_'],
  zfs: ['node_zfs_'],
  ipvs: ['node_ipvs_'],
  infiniband: ['node_infiniband_'],
  btrfs: ['node_btrfs_'],
  bcache: ['node_bcache_'],
};

/** Families node_exporter's installed release writes that the agent deliberately writes differently (and why). */
const known: Record<string, string> = {
  node_bcache_cache_readaheads_total: 'removed in node_exporter 1.6 (the Debian build is 1.5)',
  node_btrfs_commits_total: 'added in node_exporter 1.9 (the Debian build is 1.5)',
  node_btrfs_commit_seconds_total: 'added in node_exporter 1.9',
  node_btrfs_last_commit_seconds: 'added in node_exporter 1.9',
  node_btrfs_max_commit_seconds: 'added in node_exporter 1.9',
};

/**
 * Series whose value differs on purpose, by family and label set. The Debian build's nfsd reads NFSv4 operations
 * 35-37 (SETCLIENTID, SETCLIENTID_CONFIRM, VERIFY) as Verify, Write and RelLockOwner, one to two places early; later
 * releases read VERIFY, WRITE and RELEASE_LOCKOWNER at their operation numbers, as the agent does. node_exporter
 * scales bcache's btree_read_average_duration_us as if it were nanoseconds (1000 times too small); the agent reads
 * microseconds.
 */
const knownSeries = new Set([
  'node_nfsd_requests_total{method="Verify",proto="4"}',
  'node_nfsd_requests_total{method="Write",proto="4"}',
  'node_nfsd_requests_total{method="RelLockOwner",proto="4"}',
  'node_bcache_btree_read_average_duration_seconds{uuid="deaddd54-c735-46d5-868e-f331c5fd7c74"}',
]);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function scrapeNodeExporter(collectors: string[], extra: string[] = [], procfs = join(fixtureHost, 'proc')): Promise<{ text: string; log: string }> {
  const port = await freePort();
  const args = [
    `--web.listen-address=127.0.0.1:${port}`,
    '--collector.disable-defaults',
    ...collectors.map((c) => `--collector.${c}`),
    `--path.procfs=${procfs}`,
    `--path.sysfs=${join(fixtureHost, 'sys')}`,
    `--path.rootfs=${join(fixtureHost, 'rootfs')}`,
    ...extra,
  ];
  const ne = spawn(binary!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  ne.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  try {
    for (let i = 0; i < 200; i++) {
      try {
        const res = await get(`http://127.0.0.1:${port}/metrics`);
        if (res.status === 200) return { text: res.text, log };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`node_exporter never answered: ${log}`);
  } finally {
    ne.kill('SIGTERM');
  }
}

const sameValue = (a: number, b: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-12 * Math.abs(a);

if (!binary && process.env.CI === 'true') {
  t.fail('prometheus-node-exporter is not installed (CI must run: apt-get install -y prometheus-node-exporter)');
}

t.test('fixture host: the same families as node_exporter on the same tree', { skip: binary ? false : 'prometheus-node-exporter is not installed' }, async (t) => {
  const names = Object.keys(compared);
  const { text, log } = await scrapeNodeExporter(names);
  const theirs = parseExposition(text);
  const ours = parseExposition(await collectFixture());
  for (const c of names) {
    t.equal(theirs.get('node_scrape_collector_success')?.samples.find((s) => s.labels.collector === c)?.value, 1, `node_exporter's ${c} succeeded (${log.slice(-300)})`);
  }
  const concerns = (n: string) => Object.values(compared).some((ps) => ps.some((p) => n.startsWith(p)));
  const theirNames = [...theirs.keys()]
    .filter(concerns)
    .filter((n) => !(n in known))
    .sort();
  const ourNames = [...ours.keys()]
    .filter(concerns)
    .filter((n) => !(n in known))
    .sort();
  t.same(ourNames, theirNames, 'family names');
  for (const name of theirNames) {
    const a = theirs.get(name)!;
    const b: ParsedFamily | undefined = ours.get(name);
    if (!b) continue;
    t.equal(b.type, a.type, `${name} type`);
    t.equal(b.help, a.help, `${name} help`);
    // node_exporter 1.6 added the `suspended` zpool state; the Debian build (1.5) does not write it.
    const bKeys = new Map(b.samples.filter((s) => !(name === 'node_zfs_zpool_state' && s.labels.state === 'suspended')).map((s) => [labelKey(s.labels), s.value]));
    t.same([...bKeys.keys()].sort(), a.samples.map((s) => labelKey(s.labels)).sort(), `${name} label sets`);
    for (const s of a.samples) {
      const v = bKeys.get(labelKey(s.labels));
      if (knownSeries.has(name + labelKey(s.labels))) continue;
      if (v !== undefined && !sameValue(v, s.value)) t.fail(`${name}${labelKey(s.labels)}: agent ${v}, node_exporter ${s.value}`);
    }
  }
});

t.test('diskstats with the udev database: the same families as node_exporter', { skip: binary ? false : 'prometheus-node-exporter is not installed' }, async (t) => {
  // The Debian build fails the whole diskstats collector on the fixture's garbled line (the agent skips it): both
  // read a copy of /proc/diskstats without it.
  const dir = mkdtempSync(join(tmpdir(), 'outrider-diskstats-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'proc'));
  const diskstats = readFileSync(join(fixtureHost, 'proc/diskstats'), 'utf8')
    .split('\n')
    .filter((l) => !l.includes('garbled'))
    .join('\n');
  writeFileSync(join(dir, 'proc/diskstats'), diskstats);
  const exclude = Config.defaults(agentKeys).string('collectors.diskstats.device_exclude');
  const udev = join(fixtureHost, 'rootfs/run/udev/data');
  const { text, log } = await scrapeNodeExporter(['diskstats'], [`--path.udev.data=${udev}`, `--collector.diskstats.device-exclude=${exclude}`], join(dir, 'proc'));
  const theirs = parseExposition(text);
  t.equal(theirs.get('node_scrape_collector_success')?.samples[0]?.value, 1, `node_exporter's diskstats succeeded (${log.slice(-300)})`);
  const ours = parseExposition(await collectFixture(fixtureConfig({ 'path.procfs': join(dir, 'proc'), 'collectors.diskstats.udev_data_path': udev })));
  const disk = (fams: Map<string, ParsedFamily>) => [...fams.keys()].filter((n) => n.startsWith('node_disk_')).sort();
  t.same(disk(ours), disk(theirs), 'family names');
  for (const name of disk(theirs)) {
    const a = theirs.get(name)!;
    const b = ours.get(name);
    if (!b) continue;
    t.equal(b.type, a.type, `${name} type`);
    t.equal(b.help, a.help, `${name} help`);
    // node_disk_info: `rotational` is newer than the Debian build (1.9), and so is SCSI_IDENT_SERIAL as the serial
    // (1.6; the fixture's NVMe disk has both it and ID_SERIAL_SHORT).
    const key = (labels: Record<string, string>) => {
      if (name !== 'node_disk_info') return labelKey(labels);
      const { rotational: _r, ...rest } = labels;
      return labelKey(rest.device === 'nvme0n1' ? { ...rest, serial: '<newer>' } : rest);
    };
    const bValues = new Map(b.samples.map((s) => [key(s.labels), s.value]));
    t.same([...bValues.keys()].sort(), a.samples.map((s) => key(s.labels)).sort(), `${name} label sets`);
    for (const s of a.samples) {
      const v = bValues.get(key(s.labels));
      if (v !== undefined && !sameValue(v, s.value)) t.fail(`${name}${key(s.labels)}: agent ${v}, node_exporter ${s.value}`);
    }
  }
  const nvme = ours.get('node_disk_info')?.samples.find((s) => s.labels.device === 'nvme0n1');
  t.equal(nvme?.labels.serial, '2050A0000000-LABEL', 'SCSI_IDENT_SERIAL is preferred, as node_exporter 1.6+');
  t.same(
    ours
      .get('node_disk_info')
      ?.samples.map((s) => `${s.labels.device}=${s.labels.rotational}`)
      .sort(),
    ['dm-0=0', 'mmcblk0=0', 'nvme0n1=0', 'sda=0', 'sr0=1'],
    'rotational from queue/rotational, "0" where the device has none',
  );
});
