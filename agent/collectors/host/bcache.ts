/**
 * bcache: /sys/fs/bcache/<uuid>/ → node_bcache_* as node_exporter's bcache collector: the cache set's btree and
 * journal figures {uuid}, each backing device's (bdev<N>) dirty data, writeback controller and stats_total counters
 * {backing_device,uuid}, and each cache device's (cache<N>) error and write counts {cache_device,uuid}. Sizes are
 * written human-readable (`4.5M`, one decimal, binary units) and read back as the kernel rounded them. No
 * /sys/fs/bcache: nothing, and a successful run (node_exporter globs the directory and reports success 1).
 */
import { join } from './join';
import { Collector, family, Issues } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readTrim } from './sysfs-attrs';
import { lines, listDir, quote } from './text';

const units = 'kMGTPEZY';

/**
 * A bcache human-readable size (`4.5M`, `20.4G`, `-2.1k`, `512`) in bytes: the whole part times its binary unit,
 * plus the tenths the kernel printed as tenths of 1024ths of that unit (bch_hprint's rounding, inverted).
 */
export function dehumanize(s: string): number | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?([kMGTPEZY]?)$/.exec(s);
  if (!m) return undefined;
  const [, sign, whole, frac, unit] = m;
  if (unit === '') return frac === undefined ? Number(sign + whole) : undefined;
  const mul = 1024 ** (units.indexOf(unit!) + 1);
  const v = Number(whole) * mul + (frac === undefined ? 0 : Number('0.' + frac) * 1000 * (mul / 1024));
  return sign === '-' ? -v : v;
}

/** writeback_rate_debug: `name:\tvalue[/sec]` lines → name → bytes. */
export function parseWritebackRateDebug(text: string, issues: Issues = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines(text)) {
    const m = /^([^:]+):\s*(\S+?)(?:\/sec)?$/.exec(l);
    if (!m) continue;
    const v = dehumanize(m[2]!);
    if (v !== undefined) out.set(m[1]!, v);
    else if (m[1] !== 'next io') issues.push(`bcache: writeback_rate_debug: skipped line ${quote(l)}`);
  }
  return out;
}

type Kind = 'plain' | 'human' | 'us';
interface Stat {
  file: string;
  metric: string;
  help: string;
  type: FamilySamples['type'];
  kind: Kind;
}
const s = (file: string, metric: string, help: string, type: FamilySamples['type'] = 'gauge', kind: Kind = 'plain'): Stat => ({ file, metric, help, type, kind });

const setStats = [
  s('average_key_size', 'average_key_size_sectors', 'Average data per key in the btree (sectors).', 'gauge', 'human'),
  s('btree_cache_size', 'btree_cache_size_bytes', 'Amount of memory currently used by the btree cache.', 'gauge', 'human'),
  s('cache_available_percent', 'cache_available_percent', 'Percentage of cache device without dirty data, usable for writeback (may contain clean cached data).'),
  s('congested', 'congested', 'Congestion.'),
  s('root_usage_percent', 'root_usage_percent', 'Percentage of the root btree node in use (tree depth increases if too high).'),
  s('tree_depth', 'tree_depth', 'Depth of the btree.'),
  s('internal/active_journal_entries', 'active_journal_entries', 'Number of journal entries that are newer than the index.'),
  s('internal/btree_nodes', 'btree_nodes', 'Total nodes in the btree.'),
  s('internal/btree_read_average_duration_us', 'btree_read_average_duration_seconds', 'Average btree read duration.', 'gauge', 'us'),
  s(
    'internal/cache_read_races',
    'cache_read_races_total',
    'Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed.',
    'counter',
  ),
];
const bdevStats = [
  s('dirty_data', 'dirty_data_bytes', 'Amount of dirty data for this backing device in the cache.', 'gauge', 'human'),
  s('stats_total/bypassed', 'bypassed_bytes_total', 'Amount of IO (both reads and writes) that has bypassed the cache.', 'counter', 'human'),
  s('stats_total/cache_bypass_hits', 'cache_bypass_hits_total', 'Hits for IO intended to skip the cache.', 'counter'),
  s('stats_total/cache_bypass_misses', 'cache_bypass_misses_total', 'Misses for IO intended to skip the cache.', 'counter'),
  s('stats_total/cache_hits', 'cache_hits_total', 'Hits counted per individual IO as bcache sees them.', 'counter'),
  s('stats_total/cache_miss_collisions', 'cache_miss_collisions_total', 'Instances where data insertion from cache miss raced with write (data already present).', 'counter'),
  s('stats_total/cache_misses', 'cache_misses_total', 'Misses counted per individual IO as bcache sees them.', 'counter'),
  // stats_total/cache_readaheads: node_exporter 1.6 dropped node_bcache_cache_readaheads_total (kernels since 4.x keep it at 0).
];
/** [writeback_rate_debug name, metric, help]. */
const writeback: Array<[string, string, string]> = [
  ['target', 'dirty_target_bytes', 'Current dirty data target threshold for this backing device in bytes.'],
  ['rate', 'writeback_rate', 'Current writeback rate for this backing device in bytes.'],
  ['proportional', 'writeback_rate_proportional_term', 'Current result of proportional controller, part of writeback rate'],
  ['integral', 'writeback_rate_integral_term', 'Current result of integral controller, part of writeback rate'],
  ['change', 'writeback_change', 'Last writeback rate change step for this backing device.'],
];
const cacheStats = [
  s('io_errors', 'io_errors', 'Number of errors that have occurred, decayed by io_error_halflife.'),
  s('metadata_written', 'metadata_written_bytes_total', 'Sum of all non data writes (btree writes and all other metadata).', 'counter', 'human'),
  s('written', 'written_bytes_total', 'Sum of all data that has been written to the cache.', 'counter', 'human'),
];

function readStat(dir: string, st: Stat, issues: Issues): number | undefined {
  const raw = readTrim(join(dir, st.file));
  if (raw === undefined) return undefined;
  const v = st.kind === 'human' ? dehumanize(raw) : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : undefined;
  if (v === undefined) issues.push(`bcache: ${join(dir, st.file)}: ${quote(raw)} is not a number`);
  return v === undefined ? undefined : st.kind === 'us' ? v * 1e-6 : v;
}

export function collectBcache(base: string, issues: Issues): FamilySamples[] {
  const fams = new Map<string, FamilySamples>();
  const put = (metric: string, help: string, type: FamilySamples['type'], labels: Record<string, string>, value: number) => {
    let f = fams.get(metric);
    if (!f) fams.set(metric, (f = family(`node_bcache_${metric}`, help, type)));
    f.samples.push({ labels, value });
  };
  for (const uuid of (listDir(base) ?? []).filter((e) => e.includes('-')).sort()) {
    const dir = join(base, uuid);
    for (const st of setStats) {
      const v = readStat(dir, st, issues);
      if (v !== undefined) put(st.metric, st.help, st.type, { uuid }, v);
    }
    const entries = (listDir(dir) ?? []).sort();
    for (const bdev of entries.filter((e) => /^bdev\d+$/.test(e))) {
      const labels = { backing_device: bdev, uuid };
      for (const st of bdevStats) {
        const v = readStat(join(dir, bdev), st, issues);
        if (v !== undefined) put(st.metric, st.help, st.type, labels, v);
      }
      const debug = readTrim(join(dir, bdev, 'writeback_rate_debug'));
      if (debug !== undefined) {
        const wb = parseWritebackRateDebug(debug, issues);
        for (const [name, metric, help] of writeback) {
          const v = wb.get(name);
          if (v !== undefined) put(metric, help, 'gauge', labels, v);
        }
      }
    }
    for (const cache of entries.filter((e) => /^cache\d+$/.test(e))) {
      for (const st of cacheStats) {
        const v = readStat(join(dir, cache), st, issues);
        if (v !== undefined) put(st.metric, st.help, st.type, { cache_device: cache, uuid }, v);
      }
    }
  }
  return [...fams.values()];
}

export function bcacheCollector(): Collector {
  return {
    name: 'bcache',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'fs/bcache');
      if (!listDir(base)) return [];
      return collectBcache(base, ctx.issues);
    },
  };
}
