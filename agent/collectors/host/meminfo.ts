/**
 * meminfo: /proc/meminfo → node_memory_<Field>_bytes (kB values × 1024) and node_memory_<Field> (unitless counts such
 * as HugePages_Total). Names follow node_exporter: `Active(anon)` becomes `Active_anon`, any other character not
 * allowed in a metric name becomes `_`.
 */
import { join } from './join';
import { Collector, ScalarFamilies } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, isSpace, Issues, lines, num, plainInt, quote, readTextRequired } from './text';

export function meminfoName(field: string, unit: string | undefined): string {
  let name = field.replace(/\((.*)\)/, '_$1').replace(/[^a-zA-Z0-9_]/g, '_');
  if (unit === 'kB') name += '_bytes';
  return name;
}

/** meminfoName per field, for fields with the kB unit and without: the kernel prints the same ~60 every read. */
const kbNames = new Map<string, string>();
const plainNames = new Map<string, string>();
const MAX_NAMES = 1024;

function cachedName(field: string, unit: string | undefined): string {
  const cache = unit === 'kB' ? kbNames : plainNames;
  let name = cache.get(field);
  if (name === undefined) {
    name = meminfoName(field, unit);
    if (cache.size >= MAX_NAMES) cache.clear();
    cache.set(field, name);
  }
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
    // The kernel's own form, "Name:<blanks>123" or "Name:<blanks>123 kB", read without splitting the line.
    let v: number | undefined;
    let unit: string | undefined;
    let at = colon + 1;
    while (at < line.length && isSpace(line.charCodeAt(at))) at++;
    let end = at;
    while (end < line.length && !isSpace(line.charCodeAt(end))) end++;
    if (end > at) v = plainInt(line, at, end);
    if (v !== undefined && end < line.length) {
      while (end < line.length && isSpace(line.charCodeAt(end))) end++;
      if (line.length - end === 2 && line.charCodeAt(end) === 107 /* k */ && line.charCodeAt(end + 1) === 66 /* B */) unit = 'kB';
      else v = undefined;
    }
    if (v === undefined) {
      const f = fields(line.slice(colon + 1));
      v = num(f[0]);
      if (v === undefined || f.length > 2) {
        issues.push(`line ${quote(line)} has no numeric value`);
        continue;
      }
      unit = f[1];
    }
    out.set(cachedName(line.slice(0, colon), unit), unit === 'kB' ? v * 1024 : v);
  }
  return out;
}

export function meminfoCollector(): Collector {
  // Per field name, its family's name, help and type, made once (bounded as the names above).
  const descs = new Map<string, { name: string; help: string; type: 'counter' | 'gauge' }>();
  const fams = new ScalarFamilies(MAX_NAMES);
  return {
    name: 'meminfo',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const m = parseMeminfo(await readTextRequired(join(ctx.paths.procfs, 'meminfo')), ctx.issues);
      if (m.size === 0) throw new Error('no fields in /proc/meminfo');
      const out: FamilySamples[] = [];
      for (const [name, v] of m) {
        let d = descs.get(name);
        if (d === undefined) {
          d = { name: `node_memory_${name}`, help: `Memory information field ${name}.`, type: name.endsWith('_total') ? 'counter' : 'gauge' };
          if (descs.size >= MAX_NAMES) descs.clear();
          descs.set(name, d);
        }
        out.push(fams.family(d.name, d.help, d.type, v));
      }
      return out;
    },
  };
}
