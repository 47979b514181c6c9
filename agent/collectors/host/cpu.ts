/**
 * cpu: per-CPU lines of /proc/stat → node_cpu_seconds_total{cpu,mode} and node_cpu_guest_seconds_total{cpu,mode}.
 * The kernel counts in USER_HZ ticks, which is 100 on every Linux ABI the agent runs on (it is fixed for userspace,
 * unlike CONFIG_HZ), so seconds = ticks / 100. Offline CPUs have no line, so labels may have gaps (cpu0, cpu2).
 */
import { join } from 'node:path';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readTextRequired } from './text';

export const USER_HZ = 100;
export const cpuModes = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

export interface CpuTimes {
  cpu: string;
  /** Seconds per mode, in `cpuModes` order (modes an old kernel does not report are absent). */
  seconds: Partial<Record<(typeof cpuModes)[number], number>>;
  guest?: number;
  guestNice?: number;
}

export function parseCpuStat(text: string, issues: Issues = []): CpuTimes[] {
  const out: CpuTimes[] = [];
  for (const line of lines(text)) {
    const m = /^cpu(\d+)\s/.exec(line);
    if (!m) continue;
    const f = fields(line).slice(1);
    const vals = f.map(num);
    if (vals.length < 4 || vals.slice(0, 4).some((v) => v === undefined)) {
      issues.push(`cpu line ${quote(line)} has fewer than 4 numeric fields`);
      continue;
    }
    const t: CpuTimes = { cpu: m[1]!, seconds: {} };
    cpuModes.forEach((mode, i) => {
      const v = vals[i];
      if (v !== undefined) t.seconds[mode] = v / USER_HZ;
    });
    if (vals[8] !== undefined) t.guest = vals[8] / USER_HZ;
    if (vals[9] !== undefined) t.guestNice = vals[9] / USER_HZ;
    out.push(t);
  }
  return out;
}

export function cpuCollector(): Collector {
  return {
    name: 'cpu',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const cpus = parseCpuStat(await readTextRequired(join(ctx.paths.procfs, 'stat')), ctx.issues);
      if (cpus.length === 0) throw new Error('no per-CPU lines in /proc/stat');
      const secs = family('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter');
      const guest = family('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', 'counter');
      for (const c of cpus) {
        for (const mode of cpuModes) {
          const v = c.seconds[mode];
          if (v !== undefined) secs.samples.push({ labels: { cpu: c.cpu, mode }, value: v });
        }
        if (c.guest !== undefined) guest.samples.push({ labels: { cpu: c.cpu, mode: 'user' }, value: c.guest });
        if (c.guestNice !== undefined) guest.samples.push({ labels: { cpu: c.cpu, mode: 'nice' }, value: c.guestNice });
      }
      return [secs, guest];
    },
  };
}
