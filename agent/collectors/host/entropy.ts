/** entropy: /proc/sys/kernel/random/{entropy_avail,poolsize} → node_entropy_available_bits, node_entropy_pool_size_bits. */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { keptFiles } from '../kept-files';
import { num, quote, readTextRequired } from './text';

export function parseSingleNumber(text: string, what: string): number {
  const v = num(text.trim());
  if (v === undefined) throw new Error(`unexpected ${what} content: ${quote(text)}`);
  return v;
}

export function entropyCollector(): Collector {
  return {
    name: 'entropy',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const dir = join(ctx.paths.procfs, 'sys/kernel/random');
      const avail = parseSingleNumber(await readTextRequired(join(dir, 'entropy_avail')), 'entropy_avail');
      const out = [family('node_entropy_available_bits', 'Bits of available entropy.', 'gauge', [{ labels: {}, value: avail }])];
      // The pool's size is a read-only sysctl, fixed while the kernel runs: read again only as kept files age out.
      const pool = keptFiles.readFixed(join(dir, 'poolsize'));
      if (pool !== undefined) out.push(family('node_entropy_pool_size_bits', 'Bits of entropy pool.', 'gauge', [{ labels: {}, value: parseSingleNumber(pool, 'poolsize') }]));
      return out;
    },
  };
}
