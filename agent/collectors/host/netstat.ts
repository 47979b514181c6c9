/**
 * netstat: /proc/net/netstat and /proc/net/snmp (pairs of "Proto: names" / "Proto: values" lines) and
 * /proc/net/snmp6 ("Ip6InOctets value" lines) → node_netstat_<Proto>_<Name>, untyped, for the fields matching
 * `collectors.netstat.fields` (node_exporter's default set). snmp6 is optional (IPv6 disabled).
 */
import { join } from 'node:path';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readText, readTextRequired } from './text';
import { hostOptions } from './options';

/**
 * `Proto_Name` → value, for the two-line-per-protocol format. A line whose fields are all numbers is a value line
 * and pairs with the header line of the same protocol just before it; anything else is a header, so a lost line
 * costs one protocol, not the rest of the file.
 */
export function parseNetstatPairs(text: string, issues: Issues = []): Map<string, number> {
  const out = new Map<string, number>();
  let header: string[] | undefined;
  let headerLine = '';
  for (const line of lines(text)) {
    const f = fields(line);
    if (!f[0]?.endsWith(':')) {
      issues.push(`line ${quote(line)} does not start with "Proto:"`);
      continue;
    }
    const vals: Array<number | undefined> = [];
    let isValues = f.length > 1;
    for (let j = 1; j < f.length && isValues; j++) {
      const v = num(f[j]);
      vals.push(v);
      if (v === undefined) isValues = false;
    }
    if (!isValues) {
      if (header) issues.push(`${header[0]} header has no value line`);
      header = f;
      headerLine = line;
      continue;
    }
    if (!header || header[0] !== f[0]) {
      issues.push(`value line ${quote(line)} has no header`);
      header = undefined;
      continue;
    }
    const proto = f[0].slice(0, -1);
    if (header.length !== f.length) issues.push(`${proto}: ${header.length - 1} names but ${f.length - 1} values`);
    const keys = headerKeys(headerLine, proto, header);
    for (let j = 1; j < Math.min(header.length, f.length); j++) out.set(keys[j - 1]!, vals[j - 1]!);
    header = undefined;
  }
  if (header) issues.push(`${header[0]} header has no value line`);
  return out;
}

/**
 * The `Proto_Name` keys of a header line, made once per distinct line: the kernel prints the same headers every
 * read, so each collection looks its values up with the same strings (hashed once) instead of new ones.
 */
const keysByHeader = new Map<string, string[]>();
const MAX_HEADERS = 64;

function headerKeys(line: string, proto: string, header: string[]): string[] {
  let keys = keysByHeader.get(line);
  if (keys === undefined) {
    keys = header.slice(1).map((name) => `${proto}_${name}`);
    if (keysByHeader.size >= MAX_HEADERS) keysByHeader.clear();
    keysByHeader.set(line, keys);
  }
  return keys;
}

/** `Ip6_InOctets` → value, from /proc/net/snmp6 (the protocol is the name up to its first "6"). */
export function parseSnmp6(text: string, issues: Issues = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    const f = fields(line);
    const six = f[0]?.indexOf('6') ?? -1;
    const v = num(f[1]);
    if (f.length !== 2 || six < 0 || v === undefined) {
      issues.push(`line ${quote(line)} is not "Proto6Name value"`);
      continue;
    }
    const name = f[0]!;
    let key = snmp6Keys.get(name);
    if (key === undefined) {
      key = `${name.slice(0, six + 1)}_${name.slice(six + 1)}`;
      if (snmp6Keys.size >= MAX_KNOWN_FIELDS) snmp6Keys.clear();
      snmp6Keys.set(name, key);
    }
    out.set(key, v);
  }
  return out;
}

/** snmp6 name → `Proto6_Name` key, made once per name (as `headerKeys`). */
const snmp6Keys = new Map<string, string>();

/** Bound on the remembered field names (the kernel's files hold a few hundred). */
const MAX_KNOWN_FIELDS = 4096;

export function netstatCollector(): Collector {
  // Per field name, for the `fields` expression it was checked against: its family name and help, or null when the
  // expression does not select it. The names repeat every collection; the test and the strings are made once.
  let knownFor: RegExp | undefined;
  const known = new Map<string, { name: string; help: string } | null>();
  return {
    name: 'netstat',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const all = parseNetstatPairs(await readTextRequired(join(ctx.paths.procfs, 'net/netstat')), ctx.issues);
      for (const [k, v] of parseNetstatPairs(await readTextRequired(join(ctx.paths.procfs, 'net/snmp')), ctx.issues)) all.set(k, v);
      const snmp6 = await readText(join(ctx.paths.procfs, 'net/snmp6'));
      if (snmp6 !== undefined) for (const [k, v] of parseSnmp6(snmp6, ctx.issues)) all.set(k, v);
      const re = hostOptions(ctx.config).netstat.fields;
      if (knownFor !== re || known.size > MAX_KNOWN_FIELDS) {
        known.clear();
        knownFor = re;
      }
      const out: FamilySamples[] = [];
      for (const [key, v] of all) {
        let k = known.get(key);
        if (k === undefined) {
          k = re && re.test(key) ? { name: `node_netstat_${key}`, help: `Statistic ${key.replace('_', '')}.` } : null;
          known.set(key, k);
        }
        if (k === null) continue;
        out.push(family(k.name, k.help, 'untyped', [{ labels: {}, value: v }]));
      }
      return out;
    },
  };
}
