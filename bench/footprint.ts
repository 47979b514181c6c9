/**
 * Footprint and hot paths: every row of the footprint table, each beside its peer measured in the same run, with the
 * ratio and the target. Peers: Debian's prometheus-node-exporter (idle cost, collection, cold start), a bare Node.js
 * HTTP server (the runtime's floor), prom-client (render), `dd oflag=direct` (spool write) and read+write per record
 * (spool replay). The collection, render and spool rows come from their own benchmarks (host-collect, render,
 * report-spool), run here as child processes and read from their output.
 *
 *   node dist/bench/footprint.js [--seconds=30] [--skip=cadence,host,render,spool]
 *     [--bin=PATH]            the launcher to start (another checkout's bin/outrider.js, for a before / after)
 *     [--node-flags=FLAGS]    run `node FLAGS bin/outrider.js` (space-separated V8 / Node flags to try) instead of
 *                             the launcher
 *     [--agent-flags=FLAGS]   extra agent flags, space-separated (what one part costs: turn it off and compare)
 *   node dist/bench/footprint.js --size           # the installed and image size rows only (after npm run build)
 *   node dist/bench/footprint.js --only=cadence [--settle=90]   # the 1 s row with every subject scraped each second
 *                                                 # alone (its window starting --settle seconds after ready)
 *   node dist/bench/footprint.js --short          # CI: idle RSS, cold start, 10k StatsD series; fails on an RSS
 *                                                 # regression past the limits below (CPU is printed, never gated)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { coldStartMs, haveNodeExporter, Idle, launcherEntry, sampleIdle, startAgent, startBareNode, startNodeExporter, Subject } from './footprint-procs';
import { buildSender, statsdLoad } from './footprint-statsd';
import { sameCollectorArgs } from './node-exporter-args';
import { benchArgs } from './args';

const args = benchArgs();
const short = 'short' in args;
const seconds = Number(args.seconds ?? (short ? 10 : 30));
/** Seconds from ready to the start of the same-cadence row's window (the agent's warm-up left out with e.g. 90). */
const settleSeconds = Number(args.settle ?? 3);
const skip = new Set((args.skip ?? '').split(',').filter(Boolean));
const repo = join(__dirname, '..', '..');
const agentFlags = (args['agent-flags'] ?? '').split(' ').filter(Boolean);
const agentOpts = { bin: args.bin, nodeFlags: args['node-flags']?.split(' ').filter(Boolean), flags: agentFlags };

/**
 * CI limits, in MiB above the bare Node floor measured in the same run. Generous on purpose (RSS on a shared machine
 * moves by a few MiB, and Node 24 sits ~12 MiB higher than Node 20): about 1.5× the Node 20 figures in
 * bench/README.md ("Footprint": +13 idle, +29 with 10k series) plus Node 24's difference, so only a real regression
 * trips them.
 */
const limits = { idleOverFloorMiB: 32, statsd10kOverFloorMiB: 56 };

interface Row {
  measure: string;
  ours: string;
  peer: string;
  ratio: string;
  target: string;
  met: boolean | undefined;
}
const rows: Row[] = [];
const failures: string[] = [];
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

async function withSubjects<T>(starts: Array<() => Promise<Subject>>, fn: (s: Subject[]) => Promise<T>): Promise<T> {
  const subjects: Subject[] = [];
  try {
    for (const st of starts) subjects.push(await st());
    for (const s of subjects) if (!Number.isFinite(await coldStartMs(s))) throw new Error(`${s.name} did not become ready`);
    return await fn(subjects);
  } finally {
    for (const s of subjects) await s.stop();
  }
}

async function idleRows(): Promise<number> {
  const ne = haveNodeExporter();
  if (!ne) console.log('prometheus-node-exporter not installed (apt-get install prometheus-node-exporter): its columns are empty');
  const starts = [() => startAgent({ ...agentOpts, interval: '1s' }), startBareNode, ...(ne ? [startNodeExporter] : [])];
  const [agent, floor, nodeExp] = await withSubjects(starts, (s) => sampleIdle(s, seconds, 5));
  const a = agent!;
  const fl = floor!;
  const target = fl.rssMedianMiB + 7;
  rows.push({
    measure: 'idle RSS MiB, default config, 1 s collection (median)',
    ours: f1(a.rssMedianMiB),
    peer: `node_exporter ${nodeExp ? f1(nodeExp.rssMedianMiB) : 'n/a'}; bare Node ${f1(fl.rssMedianMiB)}`,
    ratio: `${nodeExp ? f2(a.rssMedianMiB / nodeExp.rssMedianMiB) : 'n/a'}× node_exporter; floor +${f1(a.rssMedianMiB - fl.rssMedianMiB)}`,
    target: `≤ floor + 7 = ${f1(target)}`,
    met: a.rssMedianMiB <= target,
  });
  rows.push(cpuRow('idle CPU % of a core, 1 s collection', a, nodeExp, '≤ 0.5', a.cpuPercent <= 0.5));
  if (short && a.rssMedianMiB - fl.rssMedianMiB > limits.idleOverFloorMiB) {
    failures.push(`idle RSS ${f1(a.rssMedianMiB)} MiB is ${f1(a.rssMedianMiB - fl.rssMedianMiB)} MiB over the bare Node floor (limit ${limits.idleOverFloorMiB})`);
  }
  return fl.rssMedianMiB;
}

function cpuRow(measure: string, a: Idle, ne: Idle | undefined, target: string, met: boolean | undefined): Row {
  return { measure, ours: f2(a.cpuPercent), peer: `node_exporter ${ne ? f2(ne.cpuPercent) : 'n/a'}`, ratio: ne ? `${f2(a.cpuPercent / ne.cpuPercent)}×` : 'n/a', target, met };
}

async function idleAt5s(): Promise<void> {
  if (!haveNodeExporter()) return;
  const [a, ne] = await withSubjects([() => startAgent({ ...agentOpts, interval: '5s' }), startNodeExporter], (s) => sampleIdle(s, seconds, 5));
  rows.push(cpuRow("idle CPU % of a core, 5 s collection (node_exporter's cadence: scraped every 5 s)", a!, ne, "≤ node_exporter's", a!.cpuPercent <= ne!.cpuPercent));
  rows.push({
    measure: 'idle RSS MiB, 5 s collection (median)',
    ours: f1(a!.rssMedianMiB),
    peer: `node_exporter ${f1(ne!.rssMedianMiB)}`,
    ratio: `${f2(a!.rssMedianMiB / ne!.rssMedianMiB)}×`,
    target: '—',
    met: undefined,
  });
}

/**
 * The 1 s row at one cadence for both: node_exporter collects when scraped, so it is scraped each second, and so is
 * the agent (a fresh /metrics every second from each); node_exporter once with its own default collectors (46 on
 * Debian's build, nearly the agent's 48) and once with the 23 that host-collect.js times (bench/node-exporter-args.ts).
 */
async function idleSameCadence(): Promise<void> {
  if (!haveNodeExporter()) return;
  const [a, ne, same] = await withSubjects([() => startAgent({ ...agentOpts, interval: '1s' }), () => startNodeExporter(), () => startNodeExporter(sameCollectorArgs())], (s) =>
    sampleIdle(s, seconds, 1, settleSeconds * 1000),
  );
  rows.push({
    measure: 'idle CPU % of a core, 1 s collection, every subject scraped every 1 s (node_exporter collects on each scrape)',
    ours: f2(a!.cpuPercent),
    peer: `node_exporter ${f2(ne!.cpuPercent)}; with host-collect's 23 collectors ${f2(same!.cpuPercent)}`,
    ratio: `${f2(a!.cpuPercent / ne!.cpuPercent)}×; ${f2(a!.cpuPercent / same!.cpuPercent)}×`,
    target: '≤ 0.5',
    met: a!.cpuPercent <= 0.5,
  });
}

async function statsdRows(floorMiB: number): Promise<void> {
  const sender = buildSender();
  if (!sender) return void console.log('no C compiler: the StatsD rows are skipped');
  const targets: Record<number, number> = { 10_000: 60, 100_000: 110 };
  for (const series of short ? [10_000] : [10_000, 100_000]) {
    const agent = await startAgent({ ...agentOpts, flags: [...agentFlags, '--statsd.flush_interval=1s'] });
    try {
      await coldStartMs(agent);
      const r = await statsdLoad(agent, sender, series, 2_000_000, short ? 3 : 6);
      rows.push({
        measure: `peak RSS MiB, ${series} StatsD series at 2 M lines/s asked`,
        ours: f1(r.peakRssMiB),
        peer: `bare Node ${f1(floorMiB)}`,
        ratio: `floor +${f1(r.peakRssMiB - floorMiB)}; sent ${(r.achievedLinesPerSec / 1e6).toFixed(2)} M lines/s`,
        target: `≤ ${targets[series]}`,
        met: r.peakRssMiB <= targets[series]!,
      });
      if (short && r.peakRssMiB - floorMiB > limits.statsd10kOverFloorMiB) {
        failures.push(`RSS with ${series} StatsD series ${f1(r.peakRssMiB)} MiB is ${f1(r.peakRssMiB - floorMiB)} MiB over the floor (limit ${limits.statsd10kOverFloorMiB})`);
      }
    } finally {
      await agent.stop();
    }
  }
}

async function coldStartRow(): Promise<void> {
  const tries = short ? 3 : 5;
  const median = async (start: () => Promise<Subject>): Promise<number> => {
    const xs: number[] = [];
    for (let i = 0; i < tries; i++) {
      const s = await start();
      try {
        xs.push(await coldStartMs(s));
      } finally {
        await s.stop();
      }
    }
    return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  };
  const ours = await median(() => startAgent(agentOpts));
  const floor = await median(startBareNode);
  const ne = haveNodeExporter() ? await median(startNodeExporter) : NaN;
  rows.push({
    measure: `cold start to first /readyz 200, ms (median of ${tries})`,
    ours: f1(ours),
    peer: `node_exporter ${f1(ne)}; bare Node ${f1(floor)}`,
    ratio: `${f2(ours / ne)}× node_exporter`,
    target: '≤ 300',
    met: ours <= 300,
  });
}

/** Bytes under a directory, not following links, leaving out nested node_modules (counted as packages of their own). */
function treeBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name !== 'node_modules') n += treeBytes(join(dir, e.name));
    else if (e.isFile()) n += statSync(join(dir, e.name)).size;
  }
  return n;
}

function sizeRow(): void {
  const pack = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{
    size: number;
    unpackedSize: number;
  }>;
  const ls = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const dirs = [...new Set(ls.split('\n').filter((l) => l.includes('node_modules')))];
  const deps = dirs.reduce((n, d) => n + treeBytes(d), 0);
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  rows.push({
    measure: 'installed size MiB: package (unpacked) + production dependencies',
    ours: mib(pack[0]!.unpackedSize + deps),
    peer: `package ${mib(pack[0]!.unpackedSize)} (tarball ${mib(pack[0]!.size)}), ${dirs.length} production packages ${mib(deps)}`,
    ratio: '—',
    target: 'reported, halved',
    met: undefined,
  });
  imageRow(deps);
}

/** Bytes of a file, or of every file under a directory (nested node_modules included). */
function pathBytes(p: string): number {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return NaN;
  if (!st.isDirectory()) return st.size;
  return readdirSync(p, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
}

/**
 * What Dockerfile.sidecar's runtime stage copies into /opt/outrider, from this tree: the bundle, the addon, uPlot's
 * two files, bin/, config/, package.json; beside what it copied before the bundle (dist/agent/ and the production
 * node_modules in place of the bundle and uPlot). The base image (node:*-slim) is the same for both and not counted.
 */
function imageRow(prodDepsBytes: number): void {
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  const shared = ['native/build/Release/outrider_native.node', 'bin', 'config', 'package.json'].reduce((n, p) => n + pathBytes(join(repo, p)), 0);
  const uplot = ['package.json', 'LICENSE', 'dist/uPlot.iife.min.js', 'dist/uPlot.min.css'].reduce((n, p) => n + pathBytes(join(repo, 'node_modules', 'uplot', p)), 0);
  const bundled = shared + pathBytes(join(repo, 'dist-bundle')) + uplot;
  const before = shared + pathBytes(join(repo, 'dist', 'agent')) + prodDepsBytes;
  rows.push({
    measure: "image's application files MiB (/opt/outrider; base image not counted)",
    ours: mib(bundled),
    peer: `dist/agent + production node_modules ${mib(before)}`,
    ratio: `${(bundled / before).toFixed(2)}×`,
    target: 'halved',
    met: Number.isFinite(bundled) ? bundled <= before / 2 : undefined,
  });
}

/** Runs another benchmark and returns its output. */
function bench(file: string, argv: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(process.execPath, [join(__dirname, file), ...argv], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
}

function otherRows(): void {
  if (!skip.has('host')) {
    const out = bench('host-collect.js', ['100']);
    const m = /ratio \(outrider collect\+render \/ node_exporter scrape\), median: ([\d.]+)/.exec(out);
    const ours = /collect \+ render: median ([\d.]+) ms/.exec(out);
    const ne = /scrape: +median ([\d.]+) ms/.exec(out);
    rows.push({
      measure: "one host collection + render vs node_exporter's scrape, ms (median)",
      ours: ours?.[1] ?? 'n/a',
      peer: `node_exporter ${ne?.[1] ?? 'n/a'}`,
      ratio: m ? `${m[1]}×` : 'n/a',
      target: '≤ 0.5×',
      met: m ? Number(m[1]) <= 0.5 : undefined,
    });
  }
  if (!skip.has('render')) {
    const out = bench('render.js', ['--series=100000', `--seconds=${short ? 1 : 3}`]);
    const m = /\| 100000 \| every family changed \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \|/.exec(out);
    rows.push({
      measure: 'render 100k series, every family changed, ms',
      ours: m?.[1] ?? 'n/a',
      peer: `prom-client ${m?.[2] ?? 'n/a'}`,
      ratio: m ? `${m[3]}× faster` : 'n/a',
      target: '≥ 10× faster',
      met: m ? Number(m[3]) >= 10 : undefined,
    });
  }
  if (!skip.has('spool')) {
    // report-spool's own defaults (256 MB, three rounds): at 128 MB a direct run lasts ~0.1 s, shorter than the
    // disk's own swings between the dd runs around it.
    const out = bench('report-spool.js', [], { MB: '256', ROUNDS: '3', RECORD_KB: '256' });
    const dd = /write: dd oflag=direct (\S+) MB\/s/.exec(out);
    const w = /spool direct +(\S+) MB\/s = (\S+)× dd/.exec(out);
    const r = /sendfile\/run ÷ read\+write\/record, per round: ([\d., ]+)× throughput/.exec(out);
    const lo = (s: string | undefined): number => Number((s ?? 'NaN').split(/[–,]\s*/)[0]);
    rows.push({
      measure: 'spool write, direct I/O, 256 KiB records, MB/s',
      ours: w?.[1] ?? 'n/a',
      peer: `dd oflag=direct ${dd?.[1] ?? 'n/a'}`,
      ratio: w ? `${w[2]}×` : 'n/a',
      target: '≥ 0.8×',
      met: w ? lo(w[2]) >= 0.8 : undefined,
    });
    const rs = r ? r[1]!.split(',').map(Number) : [];
    rows.push({
      measure: 'spool replay, sendfile runs vs read+write per record',
      ours: 'sendfile/run',
      peer: 'read+write/record',
      ratio: r ? `${r[1]!.trim()}× per round` : 'n/a',
      target: '≥ 2×',
      met: rs.length ? Math.min(...rs) >= 2 : undefined,
    });
  }
}

async function main(): Promise<void> {
  if ('size' in args) {
    sizeRow();
  } else if (args.only === 'cadence') {
    console.log(`node ${process.version}, ${seconds} s idle window from ${settleSeconds} s after ready, the agent from ${launcherEntry(agentOpts.bin)}`);
    await idleSameCadence();
  } else {
    console.log(`node ${process.version}, ${seconds} s idle windows, scraped every 5 s${short ? ', short run' : ''}`);
    console.log(`the agent runs from ${launcherEntry(agentOpts.bin)}`);
    const floor = await idleRows();
    if (!short) await idleAt5s();
    if (!short && !skip.has('cadence')) await idleSameCadence();
    await statsdRows(floor);
    await coldStartRow();
    if (!short) {
      sizeRow();
      otherRows();
    }
  }
  console.log('| measure | Outrider | peer (same run) | ratio | target | met |');
  console.log('|---|---:|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.measure} | ${r.ours} | ${r.peer} | ${r.ratio} | ${r.target} | ${r.met === undefined ? '—' : r.met ? 'yes' : 'no'} |`);
  for (const f of failures) console.log(`REGRESSION: ${f}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
