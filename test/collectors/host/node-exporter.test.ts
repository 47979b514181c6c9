/**
 * Agreement with the real node_exporter on this machine: both scrape the same /proc and /sys, and the families of
 * the collectors implemented here must carry the same names, label sets and (within a scrape's drift) values.
 * Skips when prometheus-node-exporter is not installed; under CI=true a missing binary is a failure.
 */
import t from 'tap';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Config } from '../../../agent/config/config';
import { get, startAgent } from '../../helpers/agent';
import { labelKey, parseExposition, ParsedFamily } from '../../helpers/prom-parse';
import { agentKeys } from '../../../agent/keys';
import { nodeExporterArgs } from '../../helpers/node-exporter';

const binaries = ['prometheus-node-exporter', 'node_exporter'];
const binary = binaries.find((b) => spawnSync(b, ['--version'], { stdio: 'ignore' }).status === 0);

/** Family-name prefixes each shared collector writes, to pick node_exporter's families that concern us. */
const prefixes = [
  'node_arp_',
  'node_nf_conntrack_',
  'node_thermal_zone_',
  'node_cooling_device_',
  'node_cpu_',
  'node_disk_',
  'node_entropy_',
  'node_filefd_',
  'node_filesystem_',
  'node_load',
  'node_memory_',
  'node_network_',
  'node_netstat_',
  'node_os_',
  'node_softnet_',
  'node_udp_queues',
  'node_pressure_',
  'node_sockstat_',
  'node_boot_time_seconds',
  'node_context_switches_total',
  'node_forks_total',
  'node_intr_total',
  'node_procs_',
  'node_time_',
  'node_timex_',
  'node_uname_info',
  'node_vmstat_',
];

/**
 * Intentional differences, by family name. Ours only: newer node_exporter families the Debian 1.5 build predates.
 * node_exporter only: families from sources this agent does not read (documented in docs/collectors.md).
 */
const oursOnly = new Set([
  'node_pressure_cpu_stalled_seconds_total',
  'node_pressure_irq_stalled_seconds_total',
  // node_exporter 1.9 (cpu0 with an online file) and 1.8 (os-release with SUPPORT_END).
  'node_cpu_online',
  'node_os_support_end_timestamp_seconds',
]);
const theirsOnly = new Set([
  // cpu collector: the opt-in cpu info from /proc/cpuinfo, not implemented.
  'node_cpu_info',
  'node_cpu_flag_info',
  'node_cpu_bug_info',
]);

/** Labels node_exporter added after the Debian build (1.5), by family: left out of the agent's side when comparing. */
const newerLabels: Record<string, string> = { node_disk_info: 'rotational', node_network_info: 'adminstate' };
const withoutLabel = (labels: Record<string, string>, drop: string) => Object.fromEntries(Object.entries(labels).filter(([k]) => k !== drop));

const concerns = (name: string): boolean => prefixes.some((p) => name.startsWith(p));

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

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await get(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered`);
}

const sample = (fams: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}) =>
  fams.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

if (!binary && process.env.CI === 'true') {
  t.fail('prometheus-node-exporter is not installed (CI must run: apt-get install -y prometheus-node-exporter)');
}

const skip = binary ? false : 'prometheus-node-exporter is not installed here (apt-get install -y prometheus-node-exporter)';

t.test('same names, labels and values as node_exporter on this machine', { skip }, async (t) => {
  if (!binary) return;
  const defaults = Config.defaults(agentKeys);
  const port = await freePort();
  const args = [
    `--web.listen-address=127.0.0.1:${port}`,
    // The collectors the agent implements, with the same filters as the agent's defaults, so both look at the same
    // devices, mounts and fields.
    ...nodeExporterArgs(defaults),
    `--collector.netstat.fields=${defaults.string('collectors.netstat.fields')}`,
    `--collector.vmstat.fields=${defaults.string('collectors.vmstat.fields')}`,
  ];
  const ne: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let neLog = '';
  ne.stderr?.on('data', (d: Buffer) => (neLog = (neLog + d.toString()).slice(-4000)));
  const agent = await startAgent({ 'collectors.interval': 1000, 'collectors.filesystem.interval': 0 });
  t.teardown(async () => {
    ne.kill('SIGTERM');
    await agent.stop();
  });
  await waitFor(`http://127.0.0.1:${port}/metrics`);

  const t0 = Date.now();
  const theirs = parseExposition((await get(`http://127.0.0.1:${port}/metrics`)).text);
  const oursRes = await get(agent.url + '/metrics');
  const drift = (Date.now() - t0) / 1000 + 3; // scrape time + one collection interval + slack for a loaded machine
  const ours = parseExposition(oursRes.text);
  t.ok(
    theirs.size > 0,
    `node_exporter answered (${neLog
      .split('\n')
      .filter((l) => l.includes('level=error'))
      .slice(0, 3)
      .join('; ')})`,
  );

  // 1. Names.
  const theirNames = new Set([...theirs.keys()].filter(concerns));
  const ourNames = new Set([...ours.keys()].filter(concerns));
  const missing = [...theirNames].filter((n) => !ourNames.has(n) && !theirsOnly.has(n)).sort();
  const extra = [...ourNames].filter((n) => !theirNames.has(n) && !oursOnly.has(n)).sort();
  t.same(missing, [], 'node_exporter families the agent lacks');
  t.same(extra, [], 'agent families node_exporter lacks');

  // 2. Types, help and label sets of the families both have.
  for (const name of [...theirNames].filter((n) => ourNames.has(n)).sort()) {
    const a = theirs.get(name)!;
    const b = ours.get(name)!;
    t.equal(b.type, a.type, `${name} type`);
    t.equal(b.help, a.help, `${name} help`);
    const keysA = new Set(a.samples.map((s) => labelKey(s.labels)));
    const keysB = new Set(b.samples.map((s) => labelKey(name in newerLabels ? withoutLabel(s.labels, newerLabels[name]!) : s.labels)));
    t.same([...keysB].sort(), [...keysA].sort(), `${name} label sets`);
  }

  // 3. Values.
  const cpuSeries = theirs.get('node_cpu_seconds_total')?.samples ?? [];
  t.ok(cpuSeries.length > 0);
  for (const s of cpuSeries) {
    const v = sample(ours, 'node_cpu_seconds_total', s.labels);
    t.ok(v !== undefined && Math.abs(v - s.value) <= drift, `cpu ${s.labels.cpu} ${s.labels.mode}: ${v} vs ${s.value} (±${drift.toFixed(2)} s)`);
  }
  t.equal(sample(ours, 'node_memory_MemTotal_bytes'), sample(theirs, 'node_memory_MemTotal_bytes'), 'MemTotal');
  const root = { mountpoint: '/' };
  t.equal(sample(ours, 'node_filesystem_size_bytes', root), sample(theirs, 'node_filesystem_size_bytes', root), 'size of /');
  t.equal(sample(ours, 'node_filesystem_files', root), sample(theirs, 'node_filesystem_files', root), 'inodes of /');
  // Loopback counters move with every request on lo (these scrapes, other processes on a shared machine), so the
  // agent's value is bracketed: wait until it has collected after a node_exporter scrape (its counter is at least
  // node_exporter's), then scrape node_exporter again (its counter is at least the agent's).
  const lo = { device: 'lo' };
  for (const name of ['node_network_receive_bytes_total', 'node_network_transmit_bytes_total']) {
    const a = sample(parseExposition((await get(`http://127.0.0.1:${port}/metrics`)).text), name, lo)!;
    let v: number | undefined;
    for (let i = 0; i < 100; i++) {
      v = sample(parseExposition((await get(agent.url + '/metrics')).text), name, lo);
      if (v !== undefined && v >= a) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const b = sample(parseExposition((await get(`http://127.0.0.1:${port}/metrics`)).text), name, lo)!;
    t.ok(v !== undefined && v >= a && v <= b, `${name}{device="lo"}: node_exporter ${a} ≤ agent ${v} ≤ node_exporter ${b}`);
  }
  t.equal(sample(ours, 'node_boot_time_seconds'), sample(theirs, 'node_boot_time_seconds'), 'boot time');
  // adjtimex(2): the same kernel state read twice. The discipline's settings agree exactly; maxerror grows by 500 µs
  // per second of drift while unsynchronised (capped at 16 s), offset and frequency move only within the daemon's
  // corrections between the reads.
  for (const name of ['node_timex_sync_status', 'node_timex_status', 'node_timex_loop_time_constant', 'node_timex_tick_seconds', 'node_timex_tai_offset_seconds']) {
    t.equal(sample(ours, name), sample(theirs, name), name);
  }
  const maxerr = [sample(ours, 'node_timex_maxerror_seconds'), sample(theirs, 'node_timex_maxerror_seconds')];
  t.ok(maxerr[0] !== undefined && Math.abs(maxerr[0] - maxerr[1]!) <= 0.0005 * drift + 1e-6, `maxerror ${maxerr[0]} vs ${maxerr[1]}`);
  const freq = [sample(ours, 'node_timex_frequency_adjustment_ratio'), sample(theirs, 'node_timex_frequency_adjustment_ratio')];
  t.ok(freq[0] !== undefined && Math.abs(freq[0] - freq[1]!) <= 1e-6, `frequency ${freq[0]} vs ${freq[1]}`);
  const off = [sample(ours, 'node_timex_offset_seconds'), sample(theirs, 'node_timex_offset_seconds')];
  t.ok(off[0] !== undefined && Math.abs(off[0] - off[1]!) <= 0.01, `offset ${off[0]} vs ${off[1]}`);
  t.same(ours.get('node_uname_info')?.samples[0]?.labels, theirs.get('node_uname_info')?.samples[0]?.labels, 'uname labels');
});
