/**
 * StatsD ingestion benchmark: the highest rate with zero lost lines (sent = counted), for single-line datagrams and
 * for ~1400-byte multi-line datagrams, Outrider (native and TS paths) side by side with the Node.js StatsD daemon
 * (`statsd` on npm) as it ships and with Outrider's receive buffer. A C load generator (bench/statsd-sender.c,
 * compiled here with `cc`, sendmmsg, loopback only, bounded in time) drives every target in the same run.
 *
 *   npm run build && node dist/bench/statsd-ingest.js [--step-seconds=5] [--series=100000] [--targets=a,b]
 *     [--statsd-dir=DIR]     where `statsd` is installed (default: node_modules, else a temp dir via `npm install`)
 *     [--rcvbuf=BYTES]       receive buffer given to Outrider and the tuned daemon (default 32 MiB, Outrider's default)
 *     [--min-rate=N]         skip the rungs below N lines/s
 *
 * Prints a table and writes bench/out/statsd-ingest.json.
 */
import { ChildProcess, execFile, execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '..', '..');
const outDir = join(repo, 'bench', 'out');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')) as Array<[string, string]>);
const stepSeconds = Number(args['step-seconds'] ?? 5);
const series = Number(args.series ?? 100_000);
const rcvbuf = Number(args.rcvbuf ?? 32 * 1024 * 1024);
const minRate = Number(args['min-rate'] ?? 0);
const ladders = {
  single: [2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 250_000, 300_000, 350_000],
  multi: [5_000, 10_000, 25_000, 50_000, 100_000, 200_000, 400_000, 700_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 3_500_000, 4_000_000, 5_000_000, 6_000_000],
};

interface StepResult {
  rate: number;
  sent: number;
  counted: number;
  seconds: number;
  cpuPercent: number;
  rssMiB: number;
}

interface Target {
  name: string;
  start(port: number): Promise<void>;
  /** Lines counted so far (cumulative). */
  count(): Promise<number>;
  pid(): number;
  stop(): Promise<void>;
  receiveBuffer?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

function procCpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function procRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function outriderTarget(engine: 'native' | 'ts', execArgv: string[] = [], threads = 1): Target {
  let child: ChildProcess;
  const t: Target = {
    name: `outrider-${engine}${execArgv.length ? ' ' + execArgv.join(' ') : ''}${threads > 1 ? ` ${threads} receiver threads` : ''}`,
    async start(port) {
      child = fork(join(repo, 'dist', 'bench', 'statsd-target.js'), [engine, String(port), String(rcvbuf), String(threads)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
      const ready = await new Promise<{ receiveBuffer: number }>((res, rej) => {
        child.once('message', (m) => res(m as { receiveBuffer: number }));
        child.once('exit', (code) => rej(new Error(`${t.name} exited with ${code}`)));
      });
      t.receiveBuffer = ready.receiveBuffer;
    },
    count() {
      return new Promise((res) => {
        child.once('message', (m) => res((m as { lines: number }).lines));
        child.send('count');
      });
    },
    pid: () => child.pid!,
    async stop() {
      child.send('stop');
      await new Promise((r) => child.once('exit', r));
    },
  };
  return t;
}

function statsdDir(): string {
  if (args['statsd-dir']) return resolve(args['statsd-dir']);
  if (existsSync(join(repo, 'node_modules', 'statsd', 'stats.js'))) return join(repo, 'node_modules', 'statsd');
  const dir = join(tmpdir(), 'outrider-bench-statsd');
  if (!existsSync(join(dir, 'node_modules', 'statsd', 'stats.js'))) {
    mkdirSync(dir, { recursive: true });
    console.error(`installing statsd into ${dir} ...`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=optional', '--prefix', dir, 'statsd@0.9.0'], { stdio: 'inherit' });
  }
  return join(dir, 'node_modules', 'statsd');
}

/** The Node.js StatsD daemon; `withRcvbuf` preloads a one-line shim giving its dgram socket Outrider's SO_RCVBUF. */
function statsdTarget(withRcvbuf: boolean): Target {
  let child: ChildProcess;
  let mgmt = 0;
  const dir = statsdDir();
  const t: Target = {
    name: withRcvbuf ? 'statsd-daemon-outrider-rcvbuf' : 'statsd-daemon-as-shipped',
    async start(port) {
      mgmt = await freePort();
      mkdirSync(outDir, { recursive: true });
      const cfg = join(outDir, `statsd-config-${port}.js`);
      writeFileSync(cfg, `module.exports = ${JSON.stringify({ port, address: '127.0.0.1', mgmt_port: mgmt, mgmt_address: '127.0.0.1', flushInterval: 3_600_000, backends: [] })};\n`);
      const shim = join(outDir, 'statsd-rcvbuf-shim.js');
      writeFileSync(
        shim,
        `const d = require('dgram'); const c = d.createSocket; d.createSocket = function (t, cb) { const o = typeof t === 'string' ? { type: t } : t; return c.call(d, { ...o, recvBufferSize: ${rcvbuf} }, cb); };\n`,
      );
      child = spawn(process.execPath, [...(withRcvbuf ? ['-r', shim] : []), join(dir, 'stats.js'), cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
      for (let i = 0; i < 100; i++) {
        await sleep(100);
        if ((await t.count().catch(() => -1)) >= 0) break;
      }
      const rb = spawnSync('sh', ['-c', `grep -i ':${port.toString(16).toUpperCase().padStart(4, '0')} ' /proc/net/udp | head -1`], { encoding: 'utf8' }).stdout;
      t.receiveBuffer = rb ? (withRcvbuf ? rcvbuf * 2 : Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8'))) : 0;
    },
    count() {
      return new Promise((res, rej) => {
        const sock = net.connect(mgmt, '127.0.0.1');
        let buf = '';
        sock.on('data', (d) => {
          buf += d.toString();
          if (buf.includes('END')) {
            sock.end();
            const m = /'statsd\.metrics_received': (\d+)/.exec(buf);
            res(m ? Number(m[1]) : 0);
          }
        });
        sock.on('error', rej);
        sock.write('counters\n');
      });
    },
    pid: () => child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
  return t;
}

function runSender(sender: string, port: number, rate: number, seconds: number, mode: string): { lines: number; packets: number; seconds: number; errors: number } {
  const out = execFileSync(sender, ['127.0.0.1', String(port), String(rate), String(seconds), mode, String(series)], { encoding: 'utf8' });
  return JSON.parse(out);
}

async function settle(t: Target, before: number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    await sleep(250);
    const n = await t.count();
    if (n === last && n > before) return n;
    last = n;
  }
  return last;
}

function runSenderAsync(sender: string, port: number, rate: number, seconds: number, mode: string): Promise<{ lines: number; packets: number; seconds: number; errors: number }> {
  return new Promise((res, rej) =>
    execFile(sender, ['127.0.0.1', String(port), String(rate), String(seconds), mode, String(series)], { encoding: 'utf8' }, (err, out) => (err ? rej(err) : res(JSON.parse(out)))),
  );
}

/** One rung: send for stepSeconds, sampling the target's RSS every 100 ms (the peak is reported, flushes included). */
async function step(t: Target, sender: string, port: number, rate: number, mode: string): Promise<StepResult> {
  const before = await t.count();
  const cpu0 = procCpuSeconds(t.pid());
  let peak = procRssMiB(t.pid());
  const sampler = setInterval(() => (peak = Math.max(peak, procRssMiB(t.pid()))), 100);
  const s = await runSenderAsync(sender, port, rate, stepSeconds, mode);
  const cpu1 = procCpuSeconds(t.pid());
  const after = await settle(t, before);
  clearInterval(sampler);
  peak = Math.max(peak, procRssMiB(t.pid()));
  return { rate, sent: s.lines, counted: after - before, seconds: s.seconds, cpuPercent: (100 * (cpu1 - cpu0)) / s.seconds, rssMiB: peak };
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const sender = join(outDir, 'statsd-sender');
  execFileSync('cc', ['-O2', '-Wall', '-o', sender, join(repo, 'bench', 'statsd-sender.c')]);

  // The generator's own ceiling: into a bound socket nobody reads (the kernel drops the excess).
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  const generator: Record<string, number> = {};
  for (const mode of ['single', 'multi']) {
    const s = runSender(sender, sink.address().port, 0, 2, mode);
    generator[mode] = Math.round(s.lines / s.seconds);
  }
  sink.close();
  console.log(`generator ceiling: single ${generator.single} lines/s, multi ${generator.multi} lines/s`);

  const all: Record<string, () => Target> = {
    'outrider-native': () => outriderTarget('native'),
    // Same, with V8's young generation capped (a smaller RSS for the same live data).
    'outrider-native-lean': () => outriderTarget('native', ['--max-semi-space-size=2']),
    'outrider-native-lean-2t': () => outriderTarget('native', ['--max-semi-space-size=2'], 2),
    'outrider-ts': () => outriderTarget('ts'),
    'statsd-daemon-as-shipped': () => statsdTarget(false),
    'statsd-daemon-outrider-rcvbuf': () => statsdTarget(true),
  };
  const names = args.targets ? args.targets.split(',') : Object.keys(all).filter((n) => n !== 'outrider-native-lean-2t');
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const results: Record<string, Record<string, { best: StepResult | undefined; firstLoss: StepResult | undefined; receiveBuffer: number }>> = {};
  for (const name of names) {
    results[name] = {};
    for (const mode of ['single', 'multi'] as const) {
      const t = all[name]!();
      const port = await freePort();
      await t.start(port);
      let best: StepResult | undefined;
      let firstLoss: StepResult | undefined;
      for (const rate of ladders[mode]) {
        if (rate > generator[mode]! * 1.05) break;
        if (rate < minRate) continue;
        let r = await step(t, sender, port, rate, mode);
        if (r.counted !== r.sent) r = await step(t, sender, port, rate, mode); // one retry: a noisy neighbour is not a verdict
        const ok = r.counted === r.sent;
        console.log(
          `${name} ${mode} target ${rate}/s achieved ${Math.round(r.sent / r.seconds)}/s: sent ${r.sent} counted ${r.counted} cpu ${r.cpuPercent.toFixed(0)}% rss ${r.rssMiB.toFixed(0)} MiB ${ok ? 'lossless' : 'LOSS'}`,
        );
        if (!ok) {
          firstLoss = r;
          break;
        }
        if (!best || r.sent / r.seconds > best.sent / best.seconds) best = r;
      }
      results[name]![mode] = { best, firstLoss, receiveBuffer: t.receiveBuffer ?? 0 };
      await t.stop();
    }
  }
  console.log('\ntarget                       mode    lossless lines/s   cpu%   rss MiB');
  for (const [name, modes] of Object.entries(results)) {
    for (const [mode, r] of Object.entries(modes)) {
      const b = r.best;
      console.log(
        `${name.padEnd(28)} ${mode.padEnd(7)} ${String(b ? Math.round(b.sent / b.seconds) : 0).padStart(16)} ${(b?.cpuPercent ?? 0).toFixed(0).padStart(6)} ${(b?.rssMiB ?? 0).toFixed(0).padStart(9)}`,
      );
    }
  }
  const ref = results['statsd-daemon-as-shipped'];
  const nat = results['outrider-native'];
  if (ref && nat) {
    for (const mode of ['single', 'multi']) {
      const a = nat[mode]?.best;
      const b = ref[mode]?.best;
      if (a && b) console.log(`ratio outrider-native / statsd-daemon-as-shipped, ${mode}: ${(a.sent / a.seconds / (b.sent / b.seconds)).toFixed(1)}x`);
    }
  }
  writeFileSync(join(outDir, 'statsd-ingest.json'), JSON.stringify({ generator, stepSeconds, series, results }, null, 2));
}

void main();
