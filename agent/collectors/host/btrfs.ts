/**
 * btrfs: /sys/fs/btrfs/<uuid>/ → node_btrfs_info{label,uuid}, node_btrfs_global_rsv_size_bytes, per block-group
 * type (data, metadata, system) node_btrfs_reserved_bytes and per type and RAID profile node_btrfs_{size,used}_bytes
 * and node_btrfs_allocation_ratio, and node_btrfs_device_size_bytes{device} (512-byte sectors → bytes), as
 * node_exporter's btrfs collector reads sysfs. The per-device error counters node_exporter reads by ioctl on mounted
 * filesystems are not read. No /sys/fs/btrfs: NoDataError.
 */
import { join } from 'node:path';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { goUint, isDir, readTrim } from './sysfs-attrs';
import { listDir } from './text';

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
}

const v = (p: string) => goUint(readTrim(p)) ?? 0;

export function readBtrfs(dir: string, name: string): BtrfsFs {
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
  return {
    uuid: readTrim(join(dir, 'metadata_uuid')) || name,
    label: readTrim(join(dir, 'label')) ?? '',
    globalRsvSize: v(join(dir, 'allocation/global_rsv_size')),
    devices,
    types,
  };
}

export function btrfsFamilies(filesystems: BtrfsFs[]): FamilySamples[] {
  const info = family('node_btrfs_info', 'Filesystem information', 'gauge');
  const rsv = family('node_btrfs_global_rsv_size_bytes', 'Size of global reserve.', 'gauge');
  const reserved = family('node_btrfs_reserved_bytes', 'Amount of space reserved for a data type', 'gauge');
  const size = family('node_btrfs_size_bytes', 'Amount of space allocated for a layout/data type', 'gauge');
  const used = family('node_btrfs_used_bytes', 'Amount of used space by a layout/data type', 'gauge');
  const ratio = family('node_btrfs_allocation_ratio', 'Data allocation ratio for a layout/data type', 'gauge');
  const dev = family('node_btrfs_device_size_bytes', 'Size of a device that is part of the filesystem.', 'gauge');
  for (const fs of filesystems) {
    const uuid = fs.uuid;
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
  return [info, rsv, reserved, size, used, ratio, dev].filter((f) => f.samples.length > 0);
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
          .map((e) => readBtrfs(join(base, e), e)),
      );
    },
  };
}
