/**
 * stat: the system-wide lines of /proc/stat → node_boot_time_seconds, node_context_switches_total, node_forks_total,
 * node_intr_total, node_procs_running, node_procs_blocked (node_exporter's stat collector, without the opt-in
 * softirq breakdown).
 */
import { join } from './join';
import { Collector, ScalarFamilies } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fieldsInto, Issues, lines, num, quote, readTextRequired } from './text';

export interface SystemStat {
  bootTime?: number;
  contextSwitches?: number;
  forks?: number;
  interrupts?: number;
  procsRunning?: number;
  procsBlocked?: number;
}

const keys: Record<string, keyof SystemStat> = {
  btime: 'bootTime',
  ctxt: 'contextSwitches',
  processes: 'forks',
  intr: 'interrupts',
  procs_running: 'procsRunning',
  procs_blocked: 'procsBlocked',
};

const scratch: string[] = [];

export function parseSystemStat(text: string, issues: Issues = []): SystemStat {
  const out: SystemStat = {};
  for (const line of lines(text)) {
    // The key and the first value only: `intr` and `softirq` carry hundreds of counts after them.
    const f = fieldsInto(line, scratch, 2);
    const key = keys[f[0]!];
    if (!key) continue;
    const v = num(f[1]);
    if (v === undefined) issues.push(`line ${quote(line)} has no numeric value`);
    else out[key] = v;
  }
  return out;
}

const descs: Array<[keyof SystemStat, string, string, 'counter' | 'gauge']> = [
  ['bootTime', 'node_boot_time_seconds', 'Node boot time, in unixtime.', 'gauge'],
  ['contextSwitches', 'node_context_switches_total', 'Total number of context switches.', 'counter'],
  ['forks', 'node_forks_total', 'Total number of forks.', 'counter'],
  ['interrupts', 'node_intr_total', 'Total number of interrupts serviced.', 'counter'],
  ['procsRunning', 'node_procs_running', 'Number of processes in runnable state.', 'gauge'],
  ['procsBlocked', 'node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', 'gauge'],
];

export function statCollector(): Collector {
  const fams = new ScalarFamilies();
  return {
    name: 'stat',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const s = parseSystemStat(await readTextRequired(join(ctx.paths.procfs, 'stat')), ctx.issues);
      const out: FamilySamples[] = [];
      for (const [key, name, help, type] of descs) {
        const v = s[key];
        if (v !== undefined) out.push(fams.family(name, help, type, v));
      }
      if (out.length === 0) throw new Error('no known lines in /proc/stat');
      return out;
    },
  };
}
