/**
 * btrfs: /sys/fs/btrfs/<uuid>/ → node_btrfs_info{label,uuid}, node_btrfs_global_rsv_size_bytes, per block-group
 * type (data, metadata, system) node_btrfs_reserved_bytes and per type and RAID profile node_btrfs_{size,used}_bytes
 * and node_btrfs_allocation_ratio, and node_btrfs_device_size_bytes{device} (512-byte sectors → bytes), as
 * node_exporter's btrfs collector reads sysfs. From `commit_stats` (Linux 6.0+), as node_exporter 1.9:
 * node_btrfs_commits_total, node_btrfs_commit_seconds_total, node_btrfs_last_commit_seconds and
 * node_btrfs_max_commit_seconds (milliseconds → seconds). A filesystem without the file reports none of them
 * (node_exporter reports zeros); a garbled file is an issue and reports none of them, the other families kept. The
 * per-device error counters node_exporter reads by ioctl on mounted filesystems are not read. No /sys/fs/btrfs:
 * NoDataError.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { goUint, isDir, readRaw, readTrim } from './sysfs-attrs';
import { Issues, lines, listDir, quote } from './text';

/** How many bytes of disk one byte of data takes under a profile (raid5/6 depend on the device count); 0 unknown. */
export function allocationRatio(profile: string, devices: number): number {
  switch (profile) {
    case 'single':
    case 'raid0':
      return 1;
    case 'dup':
    case 'raid1':
    case 'raid10':
      return 2;
    case 'raid1c3':
      return 3;
    case 'raid1c4':
      return 4;
    case 'raid5':
      return devices / (devices - 1);
    case 'raid6':
      return devices / (devices - 2);
    default:
      return 0;
  }
}

export interface BtrfsFs {
  uuid: string;
  label: string;
  globalRsvSize: number;
  devices: Array<[string, number]>;
  /** block-group type → reserved bytes and its profiles' [profile, total, used]. */
  types: Array<{ type: string; reserved: number; profiles: Array<[string, number, number]> }>;
  /** commit_stats: undefined when the kernel has no such file (before 6.0) or it did not parse. */
  commits?: CommitStats;
}

/** The counters of commit_stats that node_exporter reports, in milliseconds; a key the file lacks is absent. */
export interface CommitStats {
  commits?: number;
  lastCommitMs?: number;
  maxCommitMs?: number;
  totalCommitMs?: number;
}

const commitKeys: Record<string, keyof CommitStats> = {
  commits: 'commits',
  last_commit_ms: 'lastCommitMs',
  max_commit_ms: 'maxCommitMs',
  total_commit_ms: 'totalCommitMs',
};

/**
 * `<key> <unsigned value>` lines of commit_stats; keys other than the four known ones are skipped. A line of another
 * shape or a value that is not an unsigned integer makes the whole file undefined (noted in `issues`), as the
 * procfs library refuses it.
 */
export function parseCommitStats(text: string, issues: Issues = []): CommitStats | undefined {
  const out: CommitStats = {};
  for (const line of lines(text)) {
    const f = line.trim().split(/\s+/);
    const value = f.length === 2 ? goUint(f[1]) : undefined;
    if (value === undefined) {
      issues.push(`commit_stats line ${quote(line)} is not "<key> <unsigned integer>"`);
      return undefined;
    }
    const k = commitKeys[f[0]!];
    if (k !== undefined) out[k] = value;
  }
  return out;
}

const v = (p: string) => goUint(readTrim(p)) ?? 0;

export function readBtrfs(dir: string, name: string, issues: Issues = []): BtrfsFs {
  const devices: Array<[string, number]> = (listDir(join(dir, 'devices')) ?? []).sort().map((d) => [d, 512 * v(join(dir, 'devices', d, 'size'))]);
  const types: BtrfsFs['types'] = [];
  for (const type of ['data', 'metadata', 'system']) {
    const tdir = join(dir, 'allocation', type);
    if (!isDir(tdir)) continue;
    const profiles = (listDir(tdir) ?? [])
      .filter((p) => isDir(join(tdir, p)))
      .sort()
      .map((p): [string, number, number] => [p, v(join(tdir, p, 'total_bytes')), v(join(tdir, p, 'used_bytes'))]);
    types.push({ type, reserved: v(join(tdir, 'bytes_reserved')), profiles });
  }
  const uuid = readTrim(join(dir, 'metadata_uuid')) || name;
  const fs: BtrfsFs = { uuid, label: readTrim(join(dir, 'label')) ?? '', globalRsvSize: v(join(dir, 'allocation/global_rsv_size')), devices, types };
  const stats = readRaw(join(dir, 'commit_stats'));
  if (stats !== undefined) {
    const noted: string[] = [];
    const commits = parseCommitStats(stats, noted);
    for (const n of noted) issues.push(`btrfs ${uuid}: ${n}`);
    if (commits) fs.commits = commits;
  }
  return fs;
}

export function btrfsFamilies(filesystems: BtrfsFs[]): FamilySamples[] {
  const info = family('node_btrfs_info', 'Filesystem information', 'gauge');
  const rsv = family('node_btrfs_global_rsv_size_bytes', 'Size of global reserve.', 'gauge');
  const reserved = family('node_btrfs_reserved_bytes', 'Amount of space reserved for a data type', 'gauge');
  const size = family('node_btrfs_size_bytes', 'Amount of space allocated for a layout/data type', 'gauge');
  const used = family('node_btrfs_used_bytes', 'Amount of used space by a layout/data type', 'gauge');
  const ratio = family('node_btrfs_allocation_ratio', 'Data allocation ratio for a layout/data type', 'gauge');
  const dev = family('node_btrfs_device_size_bytes', 'Size of a device that is part of the filesystem.', 'gauge');
  const commits = family('node_btrfs_commits_total', 'The total number of commits that have occurred.', 'counter');
  const commitSecs = family('node_btrfs_commit_seconds_total', 'Sum of the duration of all commits, in seconds.', 'counter');
  const lastCommit = family('node_btrfs_last_commit_seconds', 'Duration of the most recent commit, in seconds.', 'gauge');
  const maxCommit = family('node_btrfs_max_commit_seconds', 'Duration of the slowest commit, in seconds.', 'gauge');
  for (const fs of filesystems) {
    const uuid = fs.uuid;
    const c = fs.commits;
    if (c?.commits !== undefined) commits.samples.push({ labels: { uuid }, value: c.commits });
    if (c?.totalCommitMs !== undefined) commitSecs.samples.push({ labels: { uuid }, value: c.totalCommitMs / 1000 });
    if (c?.lastCommitMs !== undefined) lastCommit.samples.push({ labels: { uuid }, value: c.lastCommitMs / 1000 });
    if (c?.maxCommitMs !== undefined) maxCommit.samples.push({ labels: { uuid }, value: c.maxCommitMs / 1000 });
    info.samples.push({ labels: { label: fs.label, uuid }, value: 1 });
    rsv.samples.push({ labels: { uuid }, value: fs.globalRsvSize });
    for (const [device, bytes] of fs.devices) dev.samples.push({ labels: { device, uuid }, value: bytes });
    for (const t of fs.types) {
      reserved.samples.push({ labels: { block_group_type: t.type, uuid }, value: t.reserved });
      for (const [mode, total, u] of t.profiles) {
        const labels = { block_group_type: t.type, mode, uuid };
        size.samples.push({ labels, value: total });
        used.samples.push({ labels, value: u });
        ratio.samples.push({ labels, value: allocationRatio(mode, fs.devices.length) });
      }
    }
  }
  return [info, rsv, reserved, size, used, ratio, dev, commits, commitSecs, lastCommit, maxCommit].filter((f) => f.samples.length > 0);
}

export function btrfsCollector(): Collector {
  return {
    name: 'btrfs',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'fs/btrfs');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      return btrfsFamilies(
        entries
          .filter((e) => e.includes('-'))
          .sort()
          .map((e) => readBtrfs(join(base, e), e, ctx.issues)),
      );
    },
  };
}
