/** Spawns the real CLI (`node bin/outrider.js ...`) and reads its JSON log lines. */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..', '..');
export const bin = join(repoRoot, 'bin', 'outrider.js');

export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first JSON log line whose msg matches. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, [bin, ...args], {
    // StatsD on an ephemeral port, so agents of parallel tests (or a StatsD daemon on this host) never compete for 8125.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OUTRIDER_LOG_FORMAT: 'json',
      OUTRIDER_STATSD_LISTEN: 'udp://127.0.0.1:0',
      OUTRIDER_OTLP_HTTP_LISTEN: '127.0.0.1:0',
      OUTRIDER_OTLP_GRPC_LISTEN: '127.0.0.1:0',
      // The compiled dist/ under test, even where `npm run build` left a bundle newer than it (test/cli/bundle.test.ts
      // runs the bundle).
      OUTRIDER_BUNDLE: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: Array<{ re: RegExp; resolve: (v: Record<string, unknown>) => void }> = [];
  const seen: Record<string, unknown>[] = [];
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    partial += d.toString();
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      try {
        const obj = JSON.parse(line) as Record<string, unknown>;
        seen.push(obj);
        for (const w of [...waiters]) {
          if (w.re.test(String(obj.msg))) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(obj);
          }
        }
      } catch {
        /* not a log line */
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(re, timeoutMs = 15_000) {
      const hit = seen.find((o) => re.test(String(o.msg)));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line matching ${re} within ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
        waiters.push({
          re,
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`process exited before logging ${re}; stderr:\n${err}`));
        });
      });
    },
  };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = spawnCli(args, env);
  const { code } = await s.exited;
  return { code, stdout: s.stdout(), stderr: s.stderr() };
}
