/**
 * schedstat: /proc/schedstat → node_schedstat_{running,waiting}_seconds_total{cpu} (nanoseconds → s) and
 * node_schedstat_timeslices_total{cpu} (node_exporter's schedstat collector). Only `cpu<N>` lines are read: their
 * 7th, 8th and 9th numbers are the time run, the time waited and the timeslices run on that CPU.
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readTextRequired } from './text';

export interface CpuSchedstat {
  cpu: string;
  runningNs: number;
  waitingNs: number;
  timeslices: number;
}

export function parseSchedstat(text: string, issues: Issues = []): CpuSchedstat[] {
  const out: CpuSchedstat[] = [];
  for (const l of lines(text)) {
    const f = fields(l);
    if (!/^cpu\d+$/.test(f[0] ?? '')) continue;
    const [r, w, s] = [num(f[7]), num(f[8]), num(f[9])];
    if (r === undefined || w === undefined || s === undefined) {
      issues.push(`schedstat: skipped line ${quote(l)}`);
      continue;
    }
    out.push({ cpu: f[0]!.slice(3), runningNs: r, waitingNs: w, timeslices: s });
  }
  return out;
}

export function schedstatCollector(): Collector {
  return {
    name: 'schedstat',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const cpus = parseSchedstat(await readTextRequired(join(ctx.paths.procfs, 'schedstat')), ctx.issues);
      const running = family('node_schedstat_running_seconds_total', 'Number of seconds CPU spent running a process.', 'counter');
      const waiting = family('node_schedstat_waiting_seconds_total', 'Number of seconds spent by processing waiting for this CPU.', 'counter');
      const slices = family('node_schedstat_timeslices_total', 'Number of timeslices executed by CPU.', 'counter');
      for (const c of cpus) {
        running.samples.push({ labels: { cpu: c.cpu }, value: c.runningNs / 1e9 });
        waiting.samples.push({ labels: { cpu: c.cpu }, value: c.waitingNs / 1e9 });
        slices.samples.push({ labels: { cpu: c.cpu }, value: c.timeslices });
      }
      return [running, waiting, slices];
    },
  };
}
