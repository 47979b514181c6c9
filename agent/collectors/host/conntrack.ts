/**
 * conntrack: /proc/sys/net/netfilter/nf_conntrack_{count,max} → node_nf_conntrack_entries{,_limit}, and the per-CPU
 * hexadecimal table /proc/net/stat/nf_conntrack summed over CPUs → node_nf_conntrack_stat_*. Hosts without the
 * nf_conntrack module have none of these files (NoDataError).
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { parseSingleNumber } from './entropy';
import { fields, hex, Issues, lines, quote, readText } from './text';

/** Column name → sum over the CPU rows (the header names the columns; the kernel adds columns over time). */
export function parseConntrackStat(text: string, issues: Issues = []): Map<string, number> {
  const all = lines(text);
  const header = fields(all[0] ?? '');
  const out = new Map<string, number>();
  if (header.length === 0 || hex(header[0]) !== undefined) {
    issues.push('no header line');
    return out;
  }
  for (const line of all.slice(1)) {
    const vals = fields(line).map(hex);
    if (vals.length !== header.length || vals.some((v) => v === undefined)) {
      issues.push(`row ${quote(line)} does not match the header`);
      continue;
    }
    header.forEach((h, i) => out.set(h, (out.get(h) ?? 0) + vals[i]!));
  }
  return out;
}

const stats: Array<[string, string, string]> = [
  ['found', 'node_nf_conntrack_stat_found', 'Number of searched entries which were successful.'],
  ['invalid', 'node_nf_conntrack_stat_invalid', 'Number of packets seen which can not be tracked.'],
  ['ignore', 'node_nf_conntrack_stat_ignore', 'Number of packets seen which are already connected to a conntrack entry.'],
  ['insert', 'node_nf_conntrack_stat_insert', 'Number of entries inserted into the list.'],
  ['insert_failed', 'node_nf_conntrack_stat_insert_failed', 'Number of entries for which list insertion was attempted but failed.'],
  ['drop', 'node_nf_conntrack_stat_drop', 'Number of packets dropped due to conntrack failure.'],
  ['early_drop', 'node_nf_conntrack_stat_early_drop', 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.'],
  ['search_restart', 'node_nf_conntrack_stat_search_restart', 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.'],
];

export function conntrackCollector(): Collector {
  return {
    name: 'conntrack',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const dir = join(ctx.paths.procfs, 'sys/net/netfilter');
      const count = await readText(join(dir, 'nf_conntrack_count'));
      const max = await readText(join(dir, 'nf_conntrack_max'));
      if (count === undefined || max === undefined) throw new NoDataError('no /proc/sys/net/netfilter/nf_conntrack_count (nf_conntrack not loaded)');
      const out = [
        family('node_nf_conntrack_entries', 'Number of currently allocated flow entries for connection tracking.', 'gauge', [{ labels: {}, value: parseSingleNumber(count, 'nf_conntrack_count') }]),
        family('node_nf_conntrack_entries_limit', 'Maximum size of connection tracking table.', 'gauge', [{ labels: {}, value: parseSingleNumber(max, 'nf_conntrack_max') }]),
      ];
      const statText = await readText(join(ctx.paths.procfs, 'net/stat/nf_conntrack'));
      if (statText !== undefined) {
        const s = parseConntrackStat(statText, ctx.issues);
        for (const [col, name, help] of stats) {
          const v = s.get(col);
          if (v !== undefined) out.push(family(name, help, 'gauge', [{ labels: {}, value: v }]));
        }
      }
      return out;
    },
  };
}
