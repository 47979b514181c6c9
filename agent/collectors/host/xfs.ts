/**
 * xfs: /sys/fs/xfs/<device>/stats/stats (one line per statistic group: `extent_alloc 1 2 3 4`) → node_xfs_*{device}
 * as node_exporter's xfs collector: extent allocation, allocation and block-map B-trees, block mapping, directory and
 * inode operations, read/write calls and vnode counts. A group line with the wrong number of fields is noted and its
 * counters left out; groups node_exporter does not report are ignored. No /sys/fs/xfs: NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, lines, listDir, quote, readText } from './text';

/** Group → [its field count, [position, metric suffix, help] ...]. */
const groups: Record<string, [number, Array<[number, string, string]>]> = {
  extent_alloc: [
    4,
    [
      [0, 'extent_allocation_extents_allocated_total', 'Number of extents allocated for a filesystem.'],
      [1, 'extent_allocation_blocks_allocated_total', 'Number of blocks allocated for a filesystem.'],
      [2, 'extent_allocation_extents_freed_total', 'Number of extents freed for a filesystem.'],
      [3, 'extent_allocation_blocks_freed_total', 'Number of blocks freed for a filesystem.'],
    ],
  ],
  abt: [
    4,
    [
      [0, 'allocation_btree_lookups_total', 'Number of allocation B-tree lookups for a filesystem.'],
      [1, 'allocation_btree_compares_total', 'Number of allocation B-tree compares for a filesystem.'],
      [2, 'allocation_btree_records_inserted_total', 'Number of allocation B-tree records inserted for a filesystem.'],
      [3, 'allocation_btree_records_deleted_total', 'Number of allocation B-tree records deleted for a filesystem.'],
    ],
  ],
  blk_map: [
    7,
    [
      [0, 'block_mapping_reads_total', 'Number of block map for read operations for a filesystem.'],
      [1, 'block_mapping_writes_total', 'Number of block map for write operations for a filesystem.'],
      [2, 'block_mapping_unmaps_total', 'Number of block unmaps (deletes) for a filesystem.'],
      [3, 'block_mapping_extent_list_insertions_total', 'Number of extent list insertions for a filesystem.'],
      [4, 'block_mapping_extent_list_deletions_total', 'Number of extent list deletions for a filesystem.'],
      [5, 'block_mapping_extent_list_lookups_total', 'Number of extent list lookups for a filesystem.'],
      [6, 'block_mapping_extent_list_compares_total', 'Number of extent list compares for a filesystem.'],
    ],
  ],
  bmbt: [
    4,
    [
      [0, 'block_map_btree_lookups_total', 'Number of block map B-tree lookups for a filesystem.'],
      [1, 'block_map_btree_compares_total', 'Number of block map B-tree compares for a filesystem.'],
      [2, 'block_map_btree_records_inserted_total', 'Number of block map B-tree records inserted for a filesystem.'],
      [3, 'block_map_btree_records_deleted_total', 'Number of block map B-tree records deleted for a filesystem.'],
    ],
  ],
  dir: [
    4,
    [
      [0, 'directory_operation_lookup_total', 'Number of file name directory lookups which miss the operating systems directory name lookup cache.'],
      [1, 'directory_operation_create_total', 'Number of times a new directory entry was created for a filesystem.'],
      [2, 'directory_operation_remove_total', 'Number of times an existing directory entry was created for a filesystem.'],
      [3, 'directory_operation_getdents_total', 'Number of times the directory getdents operation was performed for a filesystem.'],
    ],
  ],
  ig: [
    7,
    [
      [0, 'inode_operation_attempts_total', 'Number of times the OS looked for an XFS inode in the inode cache.'],
      [1, 'inode_operation_found_total', 'Number of times the OS looked for and found an XFS inode in the inode cache.'],
      [2, 'inode_operation_recycled_total', 'Number of times the OS found an XFS inode in the cache, but could not use it as it was being recycled.'],
      [3, 'inode_operation_missed_total', 'Number of times the OS looked for an XFS inode in the cache, but did not find it.'],
      [4, 'inode_operation_duplicates_total', 'Number of times the OS tried to add a missing XFS inode to the inode cache, but found it had already been added by another process.'],
      [5, 'inode_operation_reclaims_total', 'Number of times the OS reclaimed an XFS inode from the inode cache to free memory for another purpose.'],
      [6, 'inode_operation_attribute_changes_total', 'Number of times the OS explicitly changed the attributes of an XFS inode.'],
    ],
  ],
  rw: [
    2,
    [
      [0, 'write_calls_total', 'Number of write(2) system calls made to files in a filesystem.'],
      [1, 'read_calls_total', 'Number of read(2) system calls made to files in a filesystem.'],
    ],
  ],
  vnodes: [
    8,
    [
      [0, 'vnode_active_total', 'Number of vnodes not on free lists for a filesystem.'],
      [1, 'vnode_allocate_total', 'Number of times vn_alloc called for a filesystem.'],
      [2, 'vnode_get_total', 'Number of times vn_get called for a filesystem.'],
      [3, 'vnode_hold_total', 'Number of times vn_hold called for a filesystem.'],
      [4, 'vnode_release_total', 'Number of times vn_rele called for a filesystem.'],
      [5, 'vnode_reclaim_total', 'Number of times vn_reclaim called for a filesystem.'],
      [6, 'vnode_remove_total', 'Number of times vn_remove called for a filesystem.'],
    ],
  ],
};

/** Metric suffix → value for one stats file. */
export function parseXfsStats(text: string, issues: Issues = [], device = ''): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines(text)) {
    const f = fields(l);
    const g = groups[f[0]!];
    if (!g) continue;
    const vals = f.slice(1);
    if (vals.length !== g[0] || !vals.every((v) => /^\d+$/.test(v))) {
      issues.push(`xfs: ${device}: skipped line ${quote(l)}`);
      continue;
    }
    for (const [i, suffix] of g[1]) out.set(suffix, Number(vals[i]));
  }
  return out;
}

export function xfsFamilies(devices: Array<[string, Map<string, number>]>): FamilySamples[] {
  const out: FamilySamples[] = [];
  for (const [, metrics] of Object.values(groups)) {
    for (const [, suffix, help] of metrics) {
      const f = family(`node_xfs_${suffix}`, help, 'counter');
      for (const [device, stats] of devices) {
        const v = stats.get(suffix);
        if (v !== undefined) f.samples.push({ labels: { device }, value: v });
      }
      if (f.samples.length > 0) out.push(f);
    }
  }
  return out;
}

export function xfsCollector(): Collector {
  return {
    name: 'xfs',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'fs/xfs');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const devices: Array<[string, Map<string, number>]> = [];
      for (const device of entries.sort()) {
        if (device === 'stats') continue;
        const text = await readText(join(base, device, 'stats/stats'));
        if (text !== undefined) devices.push([device, parseXfsStats(text, ctx.issues, device)]);
      }
      return xfsFamilies(devices);
    },
  };
}
