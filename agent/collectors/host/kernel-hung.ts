/**
 * kernel_hung: /proc/sys/kernel/hung_task_detect_count → node_kernel_hung_task_detect_count (node_exporter's
 * kernel_hung collector, off by default there and here). Kernels before 6.10 have no such file: NoDataError.
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { num, quote, readTextRequired } from './text';

export function parseHungCount(text: string): number {
  const v = num(text.trim());
  if (v === undefined || v < 0) throw new Error(`unexpected hung_task_detect_count content: ${quote(text)}`);
  return v;
}

export function kernelHungCollector(): Collector {
  return {
    name: 'kernel_hung',
    defaultEnabled: false,
    async collect(ctx): Promise<FamilySamples[]> {
      const n = parseHungCount(await readTextRequired(join(ctx.paths.procfs, 'sys/kernel/hung_task_detect_count')));
      return [family('node_kernel_hung_task_detect_count', 'Total number of tasks that have been detected as hung since the system booted', 'counter', [{ labels: {}, value: n }])];
    },
  };
}
