/**
 * sockstat: /proc/net/sockstat and /proc/net/sockstat6 → node_sockstat_<PROTO>_<state> gauges, plus
 * node_sockstat_sockets_used and, for protocols reporting `mem` (in pages), node_sockstat_<PROTO>_mem_bytes.
 * The page size is taken as 4096: Node.js does not expose getpagesize(), and 4 KiB is the page size of x86-64 and
 * of the common arm64 kernels (a 16/64 KiB-page kernel under-reports *_mem_bytes; see docs/collectors.md).
 */
import { join } from './join';
import { Collector, NoDataError, ScalarFamilies } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readText } from './text';

export const PAGE_SIZE = 4096;

/** `PROTO_state` → value (`sockets_used` for the first line), in file order. */
export function parseSockstat(text: string, issues: Issues = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    const f = fields(line);
    const proto = f[0]?.replace(/:$/, '');
    if (!proto || !f[0]!.endsWith(':') || f.length % 2 !== 1) {
      issues.push(`line ${quote(line)} is not "PROTO: key value ..."`);
      continue;
    }
    for (let i = 1; i + 1 < f.length; i += 2) {
      const v = num(f[i + 1]);
      if (v === undefined) {
        issues.push(`${proto} ${f[i]} has no numeric value`);
        continue;
      }
      out.set(`${proto}_${f[i]}`, v);
      if (f[i] === 'mem') out.set(`${proto}_mem_bytes`, v * PAGE_SIZE);
    }
  }
  return out;
}

/** Bound on the remembered keys (the kernel prints a few dozen). */
const MAX_KEYS = 1024;

export function sockstatCollector(): Collector {
  // Per key, its family's name and help, and its family (one sample, no labels): the same every round, made once.
  const descs = new Map<string, { name: string; help: string }>();
  const fams = new ScalarFamilies(MAX_KEYS);
  return {
    name: 'sockstat',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const v4 = await readText(join(ctx.paths.procfs, 'net/sockstat'));
      const v6 = await readText(join(ctx.paths.procfs, 'net/sockstat6'));
      if (v4 === undefined && v6 === undefined) throw new NoDataError('no /proc/net/sockstat');
      const all = new Map<string, number>();
      const put = (v: number, k: string): void => void all.set(k, v);
      if (v4 !== undefined) parseSockstat(v4, ctx.issues).forEach(put);
      if (v6 !== undefined) parseSockstat(v6, ctx.issues).forEach(put);
      const out: FamilySamples[] = [];
      all.forEach((v, key) => {
        let d = descs.get(key);
        if (d === undefined) {
          const help = key === 'sockets_used' ? 'Number of IPv4 sockets in use.' : `Number of ${key.slice(0, key.indexOf('_'))} sockets in state ${key.slice(key.indexOf('_') + 1)}.`;
          if (descs.size >= MAX_KEYS) descs.clear();
          d = { name: `node_sockstat_${key}`, help };
          descs.set(key, d);
        }
        out.push(fams.family(d.name, d.help, 'gauge', v));
      });
      return out;
    },
  };
}
