/** Real `outrider` processes for end-to-end tests: spawn, learn bound URLs from the JSON log, stop or kill -9. */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const bin = path.resolve(__dirname, '..', '..', '..', 'bin', 'outrider.js');

export interface Proc {
  child: ChildProcess;
  /** Log lines (parsed JSON) seen so far. */
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first log line whose msg matches. */
  waitFor(msg: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

/** Agents get an ephemeral StatsD port (unless the environment says otherwise): parallel tests must not collide on 8125. */
export function start(args: string[]): Proc {
  const child = spawn(process.execPath, [bin, ...args, '--log-format', 'json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { OUTRIDER_STATSD_LISTEN: 'udp://127.0.0.1:0', OUTRIDER_OTLP_HTTP_LISTEN: '127.0.0.1:0', OUTRIDER_OTLP_GRPC_LISTEN: '127.0.0.1:0', ...process.env, OUTRIDER_LOG_PRETTY: '0' },
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ re: RegExp; resolve: (l: Record<string, unknown>) => void }> = [];
  let buf = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let j: Record<string, unknown>;
      try {
        j = JSON.parse(line) as Record<string, unknown>;
      } catch {
        j = { msg: line };
      }
      lines.push(j);
      for (const w of [...waiters])
        if (w.re.test(String(j.msg))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(j);
        }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor(re, timeoutMs = 15_000) {
      const seen = lines.find((l) => re.test(String(l.msg)));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no log line ${re} within ${timeoutMs} ms; got: ${lines.map((l) => l.msg).join(' | ')}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exited.then((code) => reject(new Error(`process exited (${code}) before log line ${re}: ${lines.map((l) => l.msg).join(' | ')}`)));
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

let ephemeral: number | undefined;

/** The lowest port the kernel hands out to outgoing connections (and to `listen(0)`), read once. */
export function ephemeralLow(): number {
  if (ephemeral === undefined) {
    try {
      const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
      ephemeral = Number.isInteger(low) && low > 12_000 ? low : 32_768;
    } catch {
      ephemeral = 32_768;
    }
  }
  return ephemeral;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A loopback port free now, for a process started next to listen on. Taken below the kernel's ephemeral range: a port
 * `listen(0)` gave can be the local port of another test's outgoing connection by the time the process listens (or
 * listens again after a restart), and the listen then fails with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let i = 0; i < 50; i++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await canListen(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or the time is up (then returns the last value). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await fn();
  while (!v && Date.now() < deadline) {
    await sleep(stepMs);
    v = await fn();
  }
  return v;
}

/** Sum of the samples of `name` in a Prometheus text body, by a label's value. */
export function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const m = /^([^ ]+) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
