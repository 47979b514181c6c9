/**
 * vmstat: /proc/vmstat → node_vmstat_<field> for the fields matching `collectors.vmstat.fields` (node_exporter's
 * default: oom_kill, pgpg*, pswp*, pg*fault*). Untyped, as node_exporter exposes them.
 */
import { join } from './join';
import { Collector, ScalarFamilies } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, num, plainInt, quote, readTextRequired } from './text';
import { hostOptions } from './options';

/**
 * The names of the last text's kernel-form lines, by position: the kernel prints the same names in the same order
 * every read, so a line whose name is the one at its position last time takes that string instead of a new one.
 */
const lastNames: string[] = [];
const MAX_LINES = 4096;

/**
 * `keep`: only the names it accepts are put in the map (the file is still checked whole). The kernel's own lines,
 * "name 123", are read in place (no line string, the name reused from the last text when it is the same); any other
 * line goes through the general check as it was.
 */
export function parseVmstat(text: string, issues: Issues = [], keep?: (name: string) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  let at = 0;
  for (let pos = 0; pos < text.length;) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const start = pos;
    pos = end + 1;
    const sp = text.indexOf(' ', start);
    if (sp > start && sp < end && plainName(text, start, sp) && digitsFrom(text, sp + 1, end)) {
      let name = lastNames[at];
      if (name === undefined || name.length !== sp - start || !text.startsWith(name, start)) {
        name = text.slice(start, sp);
        if (at < MAX_LINES) lastNames[at] = name;
      }
      at++;
      if (keep === undefined || keep(name)) out.set(name, plainInt(text, sp + 1, end) ?? Number(text.slice(sp + 1, end)));
      continue;
    }
    const line = text.slice(start, end).trimEnd();
    if (line !== '') generalLine(line, out, issues, keep);
  }
  return out;
}

/** A line as `lines` gives it (trailing whitespace trimmed), by the kernel's form or split into fields. */
function generalLine(line: string, out: Map<string, number>, issues: Issues, keep: ((name: string) => boolean) | undefined): void {
  const sp = line.indexOf(' ');
  if (sp > 0 && plainName(line, 0, sp) && digitsFrom(line, sp + 1, line.length)) {
    const name = line.slice(0, sp);
    if (keep === undefined || keep(name)) out.set(name, Number(line.slice(sp + 1)));
    return;
  }
  const f = fields(line);
  const v = num(f[1]);
  if (f.length !== 2 || v === undefined || !/^[a-zA-Z0-9_]+$/.test(f[0]!)) {
    issues.push(`line ${quote(line)} is not "name value"`);
    return;
  }
  if (keep === undefined || keep(f[0]!)) out.set(f[0]!, v);
}

/** Whether `s[start, end)` is a name of letters, digits and underscores. */
function plainName(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return false;
  }
  return true;
}

/** Whether `s[start, end)` is one or more decimal digits. */
function digitsFrom(s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
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
