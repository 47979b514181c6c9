/**
 * softirqs: /proc/softirqs → node_softirqs_functions_total{cpu,type} (node_exporter's softirqs collector, off by
 * default there and here). The header names the CPUs (`CPU0 CPU1 ...`, offline ones left out); each row is a softirq
 * type and its count per CPU.
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readTextRequired } from './text';

export interface SoftirqRow {
  type: string;
  counts: Array<{ cpu: string; value: number }>;
}

export function parseSoftirqs(text: string, issues: Issues = []): SoftirqRow[] {
  const ls = lines(text);
  const header = fields(ls[0] ?? '');
  if (header.length === 0 || header.some((h) => !/^CPU\d+$/.test(h))) throw new Error(`unexpected /proc/softirqs header: ${quote(ls[0] ?? '')}`);
  const cpus = header.map((h) => h.slice(3));
  const out: SoftirqRow[] = [];
  for (const l of ls.slice(1)) {
    const f = fields(l);
    const type = f[0]?.endsWith(':') ? f[0].slice(0, -1) : undefined;
    const vals = f.slice(1).map(num);
    if (!type || vals.length !== cpus.length || vals.some((v) => v === undefined)) {
      issues.push(`softirqs: skipped line ${quote(l)}`);
      continue;
    }
    out.push({ type, counts: vals.map((v, i) => ({ cpu: cpus[i]!, value: v! })) });
  }
  return out;
}

export function softirqsCollector(): Collector {
  return {
    name: 'softirqs',
    defaultEnabled: false,
    async collect(ctx): Promise<FamilySamples[]> {
      const rows = parseSoftirqs(await readTextRequired(join(ctx.paths.procfs, 'softirqs')), ctx.issues);
      const f = family('node_softirqs_functions_total', 'Softirq counts per CPU.', 'counter');
      for (const r of rows) for (const c of r.counts) f.samples.push({ labels: { cpu: c.cpu, type: r.type }, value: c.value });
      return [f];
    },
  };
}
