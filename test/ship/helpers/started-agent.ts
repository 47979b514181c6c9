/**
 * Starts an agent through a command line as a user's shell would (its own process group, like a job), reads its
 * JSON log, and stops it the way a terminal (Ctrl-C: SIGINT to the whole group) or a supervisor (SIGTERM to the
 * process) does. Endpoints on ephemeral loopback ports through the environment, so the command stays as given.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export interface StartedAgent {
  child: ChildProcess;
  /** http://127.0.0.1:PORT from the ready line. */
  url: string;
  /** host:port of the first StatsD UDP listener. */
  statsd: string;
  stderr(): string;
  /** Sends the signal as a terminal (`group`) or a supervisor (`process`) does; resolves with the exit. */
  stop(signal: NodeJS.Signals, to: 'group' | 'process', timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export async function startAgentCommand(argv: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; readyMs?: number } = {}): Promise<StartedAgent> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      OUTRIDER_LOG_FORMAT: 'json',
      OUTRIDER_LISTEN: '127.0.0.1:0',
      OUTRIDER_STATSD_LISTEN: 'udp://127.0.0.1:0',
      OUTRIDER_OTLP_HTTP_LISTEN: '127.0.0.1:0',
      OUTRIDER_OTLP_GRPC_LISTEN: '127.0.0.1:0',
      ...opts.env,
    },
  });
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<{ url: string; statsd: string }>((resolve, reject) => {
    let statsd = '';
    const timer = setTimeout(() => reject(new Error(`not ready within ${opts.readyMs ?? 30_000} ms; stderr:\n${err}`)), opts.readyMs ?? 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      for (const line of err.split('\n')) {
        let o: { msg?: string; url?: string; address?: string };
        try {
          o = JSON.parse(line) as typeof o;
        } catch {
          continue;
        }
        if (o.msg === 'StatsD listener is ready.' && !statsd) statsd = String(o.address);
        if (o.msg === 'Outrider agent is ready.' && o.url) {
          clearTimeout(timer);
          resolve({ url: o.url, statsd });
        }
      }
    });
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`exited (${e.code ?? e.signal}) before it was ready; stderr:\n${err}`));
    });
  });
  let started: { url: string; statsd: string };
  try {
    started = await ready;
  } catch (e) {
    killGroup(child);
    throw e;
  }
  return {
    child,
    ...started,
    stderr: () => err,
    async stop(signal, to, timeoutMs = 15_000) {
      const t0 = Date.now();
      if (to === 'group') process.kill(-child.pid!, signal);
      else child.kill(signal);
      const timer = setTimeout(() => killGroup(child), timeoutMs);
      const e = await exited;
      clearTimeout(timer);
      return { ...e, ms: Date.now() - t0 };
    },
  };
}

/** SIGKILL to whatever is left of the command's process group. */
export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Whether any process of the group still runs. */
export function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether a TCP listener and a UDP socket can bind host:port now (i.e. nobody holds them). */
export async function portsFree(tcp: string, udp: string): Promise<{ tcp: boolean; udp: boolean }> {
  const split = (a: string) => {
    const i = a.lastIndexOf(':');
    return { host: a.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(a.slice(i + 1)) };
  };
  const t = split(tcp);
  const u = split(udp);
  const tcpFree = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(t.port, t.host, () => s.close(() => resolve(true)));
  });
  const udpFree = await new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(u.port, u.host, () => s.close(() => resolve(true)));
  });
  return { tcp: tcpFree, udp: udpFree };
}
