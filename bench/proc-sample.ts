/** What the benchmarks read of a child process (/proc status fields, CPU time, peak RSS), a free port, and waiting for an endpoint. */
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';

/** A numeric field of /proc/PID/status (e.g. VmRSS, VmHWM, in KiB); NaN when absent. */
export function statusField(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Resolves once `url` answers 2xx; polls every 100 ms, `tries` times. */
export async function waitUp(url: string, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** utime + stime of a process, in seconds (USER_HZ is 100 on Linux). */
export function cpuSeconds(pid: number): number {
  return cpuTicks(pid) / 100;
}

/** The peak resident set of a process (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  return statusField(pid, 'VmHWM') / 1024;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * The CPU seconds process `pid` spends taking `bodies` from `post`: the first is a warm-up left out, the rest go two
 * in flight, and the window ends 2 s after the last answer (what the receiver does after answering is counted).
 */
export async function cpuOfRequests(pid: number, bodies: readonly Buffer[], post: (b: Buffer) => Promise<void>): Promise<number> {
  await post(bodies[0]!);
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = cpuSeconds(pid);
  let next = 1;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < bodies.length) await post(bodies[next++]!);
    }),
  );
  await new Promise((r) => setTimeout(r, 2000));
  return cpuSeconds(pid) - cpu0;
}

/** Resolves once a TCP connection to 127.0.0.1:`port` succeeds; throws if `child` exits first or after 30 s. */
export async function waitListening(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1', () => (c.end(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} did not open`);
}
