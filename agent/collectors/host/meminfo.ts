/**
 * meminfo: /proc/meminfo → node_memory_<Field>_bytes (kB values × 1024) and node_memory_<Field> (unitless counts such
 * as HugePages_Total). Names follow node_exporter: `Active(anon)` becomes `Active_anon`, any other character not
 * allowed in a metric name becomes `_`.
 */
import { join } from 'node:path';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readTextRequired } from './text';

export function meminfoName(field: string, unit: string | undefined): string {
  let name = field.replace(/\((.*)\)/, '_$1').replace(/[^a-zA-Z0-9_]/g, '_');
  if (unit === 'kB') name += '_bytes';
  return name;
}

/** Field name (already mangled, with `_bytes` when it had a unit) → value in bytes or count; file order kept. */
export function parseMeminfo(text: string, issues: Issues = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      issues.push(`line ${quote(line)} has no "name:" prefix`);
      continue;
    }
    const f = fields(line.slice(colon + 1));
    const v = num(f[0]);
    if (v === undefined || f.length > 2) {
      issues.push(`line ${quote(line)} has no numeric value`);
      continue;
    }
    const unit = f[1];
    out.set(meminfoName(line.slice(0, colon), unit), unit === 'kB' ? v * 1024 : v);
  }
  return out;
}

export function meminfoCollector(): Collector {
  return {
    name: 'meminfo',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const m = parseMeminfo(await readTextRequired(join(ctx.paths.procfs, 'meminfo')), ctx.issues);
      if (m.size === 0) throw new Error('no fields in /proc/meminfo');
      return [...m].map(([name, v]) => family(`node_memory_${name}`, `Memory information field ${name}.`, name.endsWith('_total') ? 'counter' : 'gauge', [{ labels: {}, value: v }]));
    },
  };
}
