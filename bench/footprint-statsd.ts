/**
 * The agent's RSS while StatsD lines for N distinct series arrive at a target rate: bench/statsd-sender.c (compiled
 * here with `cc`, ~1400-byte datagrams, loopback only, bounded in time) drives a running agent, and the peak of
 * VmRSS sampled every 100 ms is reported with the rate the sender achieved.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { statusField } from './proc-sample';
import type { Subject } from './footprint-procs';

const repo = join(__dirname, '..', '..');

/** The compiled sender's path, or undefined when there is no C compiler. */
export function buildSender(): string | undefined {
  const out = join(repo, 'bench', 'out', 'statsd-sender');
  try {
    mkdirSync(join(repo, 'bench', 'out'), { recursive: true });
    execFileSync('cc', ['-O2', '-Wall', '-o', out, join(repo, 'bench', 'statsd-sender.c')], { stdio: 'ignore' });
    return out;
  } catch {
    return undefined;
  }
}

export interface StatsdLoad {
  series: number;
  achievedLinesPerSec: number;
  peakRssMiB: number;
}

export async function statsdLoad(agent: Subject & { statsdPort: number }, sender: string, series: number, rate: number, seconds: number): Promise<StatsdLoad> {
  const pid = agent.child.pid!;
  let peak = statusField(pid, 'VmRSS');
  const sampler = setInterval(() => (peak = Math.max(peak, statusField(pid, 'VmRSS'))), 100);
  try {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(sender, ['127.0.0.1', String(agent.statsdPort), String(rate), String(seconds), 'multi', String(series)], { encoding: 'utf8' }, (err, o) => (err ? reject(err) : resolve(o))),
    );
    const s = JSON.parse(out) as { lines: number; seconds: number };
    // The agent's next flush (statsd.flush_interval) turns the new series into store series: keep sampling past it.
    await new Promise((r) => setTimeout(r, 1500));
    return { series, achievedLinesPerSec: s.lines / s.seconds, peakRssMiB: Math.max(peak, statusField(pid, 'VmRSS')) / 1024 };
  } finally {
    clearInterval(sampler);
  }
}
