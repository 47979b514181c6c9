/** loadavg: /proc/loadavg → node_load1, node_load5, node_load15 (node_exporter's loadavg collector). */
import { join } from './join';
import { Collector, family } from '../collector';
import { readTextRequired } from './text';
import type { FamilySamples } from '../../store/types';

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

export function parseLoadavg(text: string): LoadAvg {
  const parts = text.trim().split(/\s+/);
  const nums = parts.slice(0, 3).map(Number);
  if (nums.length < 3 || nums.some((n) => !Number.isFinite(n))) throw new Error(`unexpected /proc/loadavg content: ${JSON.stringify(text.slice(0, 80))}`);
  return { load1: nums[0]!, load5: nums[1]!, load15: nums[2]! };
}

export const loadavgCollector: Collector = {
  name: 'loadavg',
  defaultEnabled: true,
  async collect(ctx): Promise<FamilySamples[]> {
    const l = parseLoadavg(await readTextRequired(join(ctx.paths.procfs, 'loadavg')));
    return [
      family('node_load1', '1m load average.', 'gauge', [{ labels: {}, value: l.load1 }]),
      family('node_load5', '5m load average.', 'gauge', [{ labels: {}, value: l.load5 }]),
      family('node_load15', '15m load average.', 'gauge', [{ labels: {}, value: l.load15 }]),
    ];
  },
};
