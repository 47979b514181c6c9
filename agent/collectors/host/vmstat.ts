/**
 * vmstat: /proc/vmstat → node_vmstat_<field> for the fields matching `collectors.vmstat.fields` (node_exporter's
 * default: oom_kill, pgpg*, pswp*, pg*fault*). Untyped, as node_exporter exposes them.
 */
import { join } from './join';
import { Collector, ScalarFamilies } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readTextRequired } from './text';
import { hostOptions } from './options';

/** `keep`: only the names it accepts are put in the map (the file is still checked whole). */
export function parseVmstat(text: string, issues: Issues = [], keep?: (name: string) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    // The kernel's own form, "name 123": taken without splitting; anything else goes through the general check.
    const sp = line.indexOf(' ');
    if (sp > 0 && plainName(line, sp) && digitsFrom(line, sp + 1)) {
      const name = line.slice(0, sp);
      if (keep === undefined || keep(name)) out.set(name, Number(line.slice(sp + 1)));
      continue;
    }
    const f = fields(line);
    const v = num(f[1]);
    if (f.length !== 2 || v === undefined || !/^[a-zA-Z0-9_]+$/.test(f[0]!)) {
      issues.push(`line ${quote(line)} is not "name value"`);
      continue;
    }
    if (keep === undefined || keep(f[0]!)) out.set(f[0]!, v);
  }
  return out;
}

/** Whether `s[0, end)` is a name of letters, digits and underscores. */
function plainName(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return false;
  }
  return true;
}

/** Whether `s` from `start` to its end is one or more decimal digits. */
function digitsFrom(s: string, start: number): boolean {
  if (start >= s.length) return false;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Bound on the remembered field names (the kernel's file holds a few hundred). */
const MAX_KNOWN_FIELDS = 4096;

export function vmstatCollector(): Collector {
  // Per field name, for the `fields` expression it was checked against: its family name and help, or null when the
  // expression does not select it (the same names every collection: tested and built once).
  let knownFor: RegExp | undefined;
  const known = new Map<string, { name: string; help: string } | null>();
  const fams = new ScalarFamilies(MAX_KNOWN_FIELDS);
  return {
    name: 'vmstat',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const re = hostOptions(ctx.config).vmstat.fields;
      if (knownFor !== re || known.size > MAX_KNOWN_FIELDS) {
        known.clear();
        knownFor = re;
      }
      const selected = (name: string): boolean => {
        let k = known.get(name);
        if (k === undefined) {
          k = re && re.test(name) ? { name: `node_vmstat_${name}`, help: `/proc/vmstat information field ${name}.` } : null;
          known.set(name, k);
        }
        return k !== null;
      };
      const m = parseVmstat(await readTextRequired(join(ctx.paths.procfs, 'vmstat')), ctx.issues, selected);
      const out: FamilySamples[] = [];
      for (const [name, v] of m) {
        const k = known.get(name)!;
        out.push(fams.family(k.name, k.help, 'untyped', v));
      }
      return out;
    },
  };
}
