/**
 * The processes the footprint benchmark measures side by side, and how: the agent started the way a user starts it
 * (the `bin/outrider.js` launcher run as a program, so its launch line's V8 flags apply), Debian's
 * prometheus-node-exporter, and a bare Node.js HTTP server (the runtime's own floor). Idle RSS and CPU come from
 * /proc/<pid>/{status,stat}; cold start is the time from spawn to the first 2xx of the readiness URL.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpuTicks, freePort, statusField } from './proc-sample';

const repo = join(__dirname, '..', '..');
const hz = 100; // USER_HZ on Linux

export interface Subject {
  readonly name: string;
  readonly child: ChildProcess;
  /** What a Prometheus scrapes. */
  readonly url: string;
  /** Answers 2xx once the process is ready to serve. */
  readonly readyUrl: string;
  readonly startedAt: bigint;
  stop(): Promise<void>;
}

function subject(name: string, child: ChildProcess, url: string, readyUrl: string, startedAt: bigint, cleanup = (): void => undefined): Subject {
  child.on('error', () => undefined);
  return {
    name,
    child,
    url,
    readyUrl,
    startedAt,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return (cleanup(), resolve());
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => (clearTimeout(t), cleanup(), resolve()));
        child.kill('SIGTERM');
      }),
  };
}

export interface AgentStart {
  /** Collection interval (--collectors.interval). */
  interval?: string;
  /** Extra agent flags. */
  flags?: string[];
  /** Extra environment (e.g. NODE_OPTIONS). */
  env?: NodeJS.ProcessEnv;
  /** The launcher to start (default: this tree's bin/outrider.js); another checkout's, for a before / after. */
  bin?: string;
  /** Start `node FLAGS bin/outrider.js` instead of the launcher (its launch line and flags then do not apply). */
  nodeFlags?: string[];
}

/**
 * The agent with its default config on loopback ports (the OTLP receivers included, moved to free ports), started
 * through the launcher with this process's node first on PATH.
 */
export async function startAgent(opts: AgentStart = {}): Promise<Subject & { statsdPort: number }> {
  const [port, statsdPort, otlpHttp, otlpGrpc] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const argv = [
    'agent',
    `--listen=127.0.0.1:${port}`,
    `--statsd.listen=udp://127.0.0.1:${statsdPort}`,
    `--otlp.http.listen=127.0.0.1:${otlpHttp}`,
    `--otlp.grpc.listen=127.0.0.1:${otlpGrpc}`,
    '--log-level=warn',
    `--collectors.interval=${opts.interval ?? '1s'}`,
    ...(opts.flags ?? []),
  ];
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...opts.env };
  const t0 = process.hrtime.bigint();
  const bin = opts.bin ?? join(repo, 'bin', 'outrider.js');
  const child = opts.nodeFlags ? spawn(process.execPath, [...opts.nodeFlags, bin, ...argv], { stdio: 'ignore', env }) : spawn(bin, argv, { stdio: 'ignore', env });
  const base = `http://127.0.0.1:${port}`;
  const s = subject('outrider agent', child, `${base}/metrics`, `${base}/readyz`, t0);
  return { ...s, statsdPort };
}

/**
 * What the launcher `bin` will run, by its own rule (`bin/entry.js` beside it): after a `tsc` build alone the bundle
 * is older than dist/ and the launcher runs dist/, which starts slower and holds more than the bundle the image and
 * the unit run.
 */
export function launcherEntry(bin = join(repo, 'bin', 'outrider.js'), env: NodeJS.ProcessEnv = process.env): string {
  const rule = join(dirname(bin), 'entry.js');
  if (!existsSync(rule)) return `not known (${rule} is not there: a launcher from before it)`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the launcher's own rule, from the checkout under test
  const { agentEntry } = require(rule) as { agentEntry(root: string, choice?: string): { file: string; bundled: boolean } };
  const root = join(dirname(bin), '..');
  if (agentEntry(root, env.OUTRIDER_BUNDLE).bundled) return 'the bundle (dist-bundle/outrider.js)';
  return agentEntry(root, '1').bundled && env.OUTRIDER_BUNDLE !== '0'
    ? 'dist/: the bundle is older than dist/agent/main.js (run `node scripts/bundle.js` to measure the bundle the image runs)'
    : 'dist/ (no bundle, or OUTRIDER_BUNDLE=0)';
}

export function haveNodeExporter(): boolean {
  return spawnSync('prometheus-node-exporter', ['--version'], { stdio: 'ignore' }).error === undefined;
}

export async function startNodeExporter(args: readonly string[] = []): Promise<Subject> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`, ...args], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/metrics`;
  return subject('prometheus-node-exporter', child, url, url, t0);
}

/** Node.js serving HTTP and nothing else, with the launcher's young-generation flag: the runtime's floor. */
export async function startBareNode(): Promise<Subject> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const code = `require('node:http').createServer((q, s) => s.end('ok\\n')).listen(${port}, '127.0.0.1')`;
  const child = spawn(process.execPath, ['--max-semi-space-size=2', '-e', code], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  return subject('bare Node HTTP server', child, url, url, t0);
}

/** Milliseconds from spawn to the first 2xx of the readiness URL, polling every 5 ms; NaN after `limitMs`. */
export async function coldStartMs(s: Subject, limitMs = 30_000): Promise<number> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (s.child.exitCode !== null) throw new Error(`${s.name} exited with ${s.child.exitCode} before it was ready`);
    try {
      const r = await fetch(s.readyUrl);
      await r.arrayBuffer();
      if (r.ok) return Number(process.hrtime.bigint() - s.startedAt) / 1e6;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return NaN;
}

export interface Idle {
  rssMedianMiB: number;
  rssMaxMiB: number;
  cpuPercent: number;
}

/**
 * Samples each subject's RSS every 500 ms and its CPU over `seconds`, after `settleMs`, scraping each every
 * `scrapeSeconds` as a Prometheus would.
 */
export async function sampleIdle(subjects: readonly Subject[], seconds: number, scrapeSeconds: number, settleMs = 3000): Promise<Idle[]> {
  await new Promise((r) => setTimeout(r, settleMs));
  const start = subjects.map((s) => cpuTicks(s.child.pid!));
  const rss: number[][] = subjects.map(() => []);
  const t0 = Date.now();
  let nextScrape = 0;
  while (Date.now() - t0 < seconds * 1000) {
    if (Date.now() - t0 >= nextScrape) {
      for (const s of subjects) await (await fetch(s.url)).arrayBuffer();
      nextScrape += scrapeSeconds * 1000;
    }
    subjects.forEach((s, i) => rss[i]!.push(statusField(s.child.pid!, 'VmRSS') / 1024));
    await new Promise((r) => setTimeout(r, 500));
  }
  const wall = (Date.now() - t0) / 1000;
  return subjects.map((s, i) => {
    const sorted = [...rss[i]!].sort((a, b) => a - b);
    return {
      rssMedianMiB: sorted[Math.floor(sorted.length / 2)]!,
      rssMaxMiB: sorted[sorted.length - 1]!,
      cpuPercent: ((cpuTicks(s.child.pid!) - start[i]!) / hz / wall) * 100,
    };
  });
}
