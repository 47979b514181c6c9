/**
 * softnet: /proc/net/softnet_stat (one hexadecimal row per online CPU) → node_softnet_{processed,dropped,
 * times_squeezed}_total{cpu}. Kernels from 5.10 write the CPU number in column 13; older ones are labelled by row.
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, hex, Issues, lines, quote, readTextRequired } from './text';

export interface SoftnetRow {
  cpu: string;
  processed: number;
  dropped: number;
  timesSqueezed: number;
}

export function parseSoftnet(text: string, issues: Issues = []): SoftnetRow[] {
  const out: SoftnetRow[] = [];
  lines(text).forEach((line, row) => {
    const v = fields(line).map(hex);
    if (v.length < 3 || v.slice(0, 3).some((x) => x === undefined)) {
      issues.push(`row ${quote(line)} is not hexadecimal counters`);
      return;
    }
    const cpu = v.length >= 13 && v[12] !== undefined ? String(v[12]) : String(row);
    out.push({ cpu, processed: v[0]!, dropped: v[1]!, timesSqueezed: v[2]! });
  });
  return out;
}

export function softnetCollector(): Collector {
  return {
    name: 'softnet',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const rows = parseSoftnet(await readTextRequired(join(ctx.paths.procfs, 'net/softnet_stat')), ctx.issues);
      return [
        family(
          'node_softnet_processed_total',
          'Number of processed packets',
          'counter',
          rows.map((r) => ({ labels: { cpu: r.cpu }, value: r.processed })),
        ),
        family(
          'node_softnet_dropped_total',
          'Number of dropped packets',
          'counter',
          rows.map((r) => ({ labels: { cpu: r.cpu }, value: r.dropped })),
        ),
        family(
          'node_softnet_times_squeezed_total',
          'Number of times processing packets ran out of quota',
          'counter',
          rows.map((r) => ({ labels: { cpu: r.cpu }, value: r.timesSqueezed })),
        ),
      ];
    },
  };
}
