/** filefd: /proc/sys/fs/file-nr ("allocated unused maximum") → node_filefd_allocated, node_filefd_maximum. */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, num, quote, readTextRequired } from './text';

export function parseFileNr(text: string): { allocated: number; maximum: number } {
  const f = fields(text).map(num);
  if (f.length !== 3 || f.some((v) => v === undefined)) throw new Error(`unexpected /proc/sys/fs/file-nr content: ${quote(text)}`);
  return { allocated: f[0]!, maximum: f[2]! };
}

export function filefdCollector(): Collector {
  return {
    name: 'filefd',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const v = parseFileNr(await readTextRequired(join(ctx.paths.procfs, 'sys/fs/file-nr')));
      return [
        family('node_filefd_allocated', 'File descriptor statistics: allocated.', 'gauge', [{ labels: {}, value: v.allocated }]),
        family('node_filefd_maximum', 'File descriptor statistics: maximum.', 'gauge', [{ labels: {}, value: v.maximum }]),
      ];
    },
  };
}
