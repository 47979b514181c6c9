/** What the footprint benchmarks read of a child process: /proc status fields, CPU ticks, and waiting for its endpoint. */
import { readFileSync } from 'node:fs';

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
