/**
 * netstat: /proc/net/netstat and /proc/net/snmp (pairs of "Proto: names" / "Proto: values" lines) and
 * /proc/net/snmp6 ("Ip6InOctets value" lines) → node_netstat_<Proto>_<Name>, untyped, for the fields matching
 * `collectors.netstat.fields` (node_exporter's default set). snmp6 is optional (IPv6 disabled).
 */
import { join } from './join';
import { Collector, ScalarFamilies } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, isSpace, Issues, lines, num, plainInt, quote, readText, readTextRequired } from './text';
import { hostOptions } from './options';

/**
 * `Proto_Name` → value, for the two-line-per-protocol format. A line whose fields are all numbers is a value line
 * and pairs with the header line of the same protocol just before it; anything else is a header, so a lost line
 * costs one protocol, not the rest of the file. `keep`: only the keys it accepts are put in the map (the file is
 * still checked whole).
 */
export function parseNetstatPairs(text: string, issues: Issues = [], keep?: (key: string) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  let header: Header | undefined;
  for (const line of lines(text)) {
    const known = headers.get(line);
    if (known !== undefined) {
      if (header) issues.push(`${header.first} header has no value line`);
      header = known;
      continue;
    }
    // The kernel's own form, "Proto: 1 -2 3" (single spaces, plain integers), is read without splitting the line.
    let first = plainValues(line, scratch);
    let vals: Array<number | undefined> = scratch;
    let count = scratch.length + 1;
    if (first === undefined) {
      const f = fields(line);
      if (!f[0]?.endsWith(':')) {
        issues.push(`line ${quote(line)} does not start with "Proto:"`);
        continue;
      }
      vals = [];
      let isValues = f.length > 1;
      for (let j = 1; j < f.length && isValues; j++) {
        const v = num(f[j]);
        vals.push(v);
        if (v === undefined) isValues = false;
      }
      if (!isValues) {
        if (header) issues.push(`${header.first} header has no value line`);
        header = headerOf(line, f);
        continue;
      }
      first = f[0];
      count = f.length;
    }
    if (!header || header.first !== first) {
      issues.push(`value line ${quote(line)} has no header`);
      header = undefined;
      continue;
    }
    const proto = first.slice(0, -1);
    if (header.count !== count) issues.push(`${proto}: ${header.count - 1} names but ${count - 1} values`);
    const n = Math.min(header.count, count) - 1;
    for (let j = 0; j < n; j++) {
      const key = header.keys[j]!;
      if (keep === undefined || keep(key)) out.set(key, vals[j]!);
    }
    header = undefined;
  }
  if (header) issues.push(`${header.first} header has no value line`);
  return out;
}

/** A header line: its first field ("Tcp:"), its number of fields and the `Proto_Name` key of each name. */
interface Header {
  first: string;
  count: number;
  keys: string[];
}

/**
 * Header lines seen, by their text: the kernel prints the same headers every read, so each collection finds its
 * keys (hashed once) instead of splitting the line and making new strings.
 */
const headers = new Map<string, Header>();
const MAX_HEADERS = 64;
const scratch: number[] = [];

function headerOf(line: string, f: string[]): Header {
  const proto = f[0]!.slice(0, -1);
  const h = { first: f[0]!, count: f.length, keys: f.slice(1).map((name) => `${proto}_${name}`) };
  if (headers.size >= MAX_HEADERS) headers.clear();
  headers.set(line, h);
  return h;
}

/**
 * A line of the form "Proto: 1 -2 3" (a first field ending in ':' and at least one value, single spaces, integers
 * of at most 15 digits, which a double holds exactly): its values into `into` and its first field returned; undefined
 * for any other line, which then goes through the general check.
 */
function plainValues(line: string, into: number[]): string | undefined {
  into.length = 0;
  const sp = line.indexOf(' ');
  if (sp < 2 || line.charCodeAt(sp - 1) !== 58 /* : */) return undefined;
  for (let i = 0; i < sp; i++) {
    const c = line.charCodeAt(i);
    if (c <= 32 || c >= 127) return undefined;
  }
  let i = sp;
  while (i < line.length) {
    if (line.charCodeAt(i) !== 32) return undefined;
    i++;
    const neg = line.charCodeAt(i) === 45; /* - */
    if (neg) i++;
    const start = i;
    let v = 0;
    for (; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 32) break;
      if (c < 48 || c > 57) return undefined;
      v = v * 10 + (c - 48);
    }
    if (i === start || i - start > 15) return undefined;
    into.push(neg ? -v : v);
  }
  return into.length === 0 ? undefined : line.slice(0, sp);
}

/** `Ip6_InOctets` → value, from /proc/net/snmp6 (the protocol is the name up to its first "6"); `keep` as above. */
export function parseSnmp6(text: string, issues: Issues = [], keep?: (key: string) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    // The kernel's own form, "Ip6InOctets<blanks>123", read without splitting the line; any other goes through fields.
    let name: string | undefined;
    let six = -1;
    let v: number | undefined;
    let sp = 0;
    while (sp < line.length && line.charCodeAt(sp) !== 32 && line.charCodeAt(sp) !== 9) sp++;
    if (sp > 0 && sp < line.length && !isSpace(line.charCodeAt(0))) {
      let at = sp;
      while (at < line.length && (line.charCodeAt(at) === 32 || line.charCodeAt(at) === 9)) at++;
      v = plainInt(line, at, line.length);
      if (v !== undefined) {
        name = line.slice(0, sp);
        six = name.indexOf('6');
      }
    }
    if (name === undefined || six < 0) {
      const f = fields(line);
      six = f[0]?.indexOf('6') ?? -1;
      v = num(f[1]);
      if (f.length !== 2 || six < 0 || v === undefined) {
        issues.push(`line ${quote(line)} is not "Proto6Name value"`);
        continue;
      }
      name = f[0]!;
    }
    let key = snmp6Keys.get(name);
    if (key === undefined) {
      key = `${name.slice(0, six + 1)}_${name.slice(six + 1)}`;
      if (snmp6Keys.size >= MAX_KNOWN_FIELDS) snmp6Keys.clear();
      snmp6Keys.set(name, key);
    }
    if (keep === undefined || keep(key)) out.set(key, v!);
  }
  return out;
}

/** snmp6 name → `Proto6_Name` key, made once per name (as the header keys). */
const snmp6Keys = new Map<string, string>();

/** Bound on the remembered field names (the kernel's files hold a few hundred). */
const MAX_KNOWN_FIELDS = 4096;

export function netstatCollector(): Collector {
  // Per field name, for the `fields` expression it was checked against: its family name and help, or null when the
  // expression does not select it. The names repeat every collection; the test and the strings are made once.
  let knownFor: RegExp | undefined;
  const known = new Map<string, { name: string; help: string } | null>();
  const fams = new ScalarFamilies(MAX_KNOWN_FIELDS);
  return {
    name: 'netstat',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const re = hostOptions(ctx.config).netstat.fields;
      if (knownFor !== re || known.size > MAX_KNOWN_FIELDS) {
        known.clear();
        knownFor = re;
      }
      // Only the selected fields are kept from the files (in the order they first appear, the last value winning).
      const selected = (key: string): boolean => {
        let k = known.get(key);
        if (k === undefined) {
          k = re && re.test(key) ? { name: `node_netstat_${key}`, help: `Statistic ${key.replace('_', '')}.` } : null;
          known.set(key, k);
        }
        return k !== null;
      };
      const all = parseNetstatPairs(await readTextRequired(join(ctx.paths.procfs, 'net/netstat')), ctx.issues, selected);
      for (const [k, v] of parseNetstatPairs(await readTextRequired(join(ctx.paths.procfs, 'net/snmp')), ctx.issues, selected)) all.set(k, v);
      const snmp6 = await readText(join(ctx.paths.procfs, 'net/snmp6'));
      if (snmp6 !== undefined) for (const [k, v] of parseSnmp6(snmp6, ctx.issues, selected)) all.set(k, v);
      const out: FamilySamples[] = [];
      for (const [key, v] of all) {
        const k = known.get(key)!;
        out.push(fams.family(k.name, k.help, 'untyped', v));
      }
      return out;
    },
  };
}
