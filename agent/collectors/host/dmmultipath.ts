/**
 * dmmultipath (off by default, as in node_exporter): device-mapper multipath maps from /sys/block/dm-*, those whose
 * `dm/uuid` starts with `mpath-`, with their paths (the `slaves/` entries) and each path's `device/state` →
 * node_dmmultipath_* under node_exporter's names. A path is active when its state is `running` (SCSI) or `live`
 * (NVMe); every other state counts as failed. No /sys/block: NoDataError. A map whose files cannot be read is left
 * out and noted; the others are reported.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { SECTOR_BYTES } from './diskstats';
import { listDir, num, quote, readText } from './text';

export interface MultipathMap {
  name: string;
  sysfsName: string;
  uuid: string;
  suspended: boolean;
  sizeBytes: number;
  paths: Array<{ device: string; state: string }>;
}

const isActive = (state: string): boolean => state === 'running' || state === 'live';

export function dmMultipathFamilies(maps: readonly MultipathMap[]): FamilySamples[] {
  const fam = (name: string, help: string) => family(`node_dmmultipath_${name}`, help, 'gauge');
  const info = fam('device_info', 'Non-numeric information about a DM-multipath device.');
  const active = fam('device_active', 'Whether the multipath device-mapper device is active (1) or suspended (0).');
  const size = fam('device_size_bytes', 'Size of the multipath device in bytes, read from /sys/block/<dm>/size.');
  const paths = fam('device_paths', 'Number of paths for a multipath device.');
  const pathsActive = fam('device_paths_active', 'Number of paths in active state (SCSI running or NVMe live) for a multipath device.');
  const pathsFailed = fam('device_paths_failed', 'Number of paths not in active state for a multipath device.');
  const pathState = fam('path_state', 'Reports the underlying device state for a multipath path, as read from /sys/block/<dev>/device/state.');
  for (const m of maps) {
    const labels = { device: m.name, sysfs_name: m.sysfsName };
    info.samples.push({ labels: { ...labels, uuid: m.uuid }, value: 1 });
    active.samples.push({ labels, value: m.suspended ? 0 : 1 });
    size.samples.push({ labels, value: m.sizeBytes });
    const up = m.paths.filter((p) => isActive(p.state)).length;
    paths.samples.push({ labels, value: m.paths.length });
    pathsActive.samples.push({ labels, value: up });
    pathsFailed.samples.push({ labels, value: m.paths.length - up });
    for (const p of m.paths) pathState.samples.push({ labels: { device: m.name, path: p.device, state: p.state }, value: 1 });
  }
  return [info, active, size, paths, pathsActive, pathsFailed, pathState].filter((f) => f.samples.length > 0);
}

async function readMap(block: string, sysfsName: string): Promise<MultipathMap | 'skip' | string> {
  const dir = join(block, sysfsName);
  const uuid = (await readText(join(dir, 'dm/uuid')))?.trim();
  if (uuid === undefined || !uuid.startsWith('mpath-')) return 'skip'; // not device-mapper, or not multipath
  const name = (await readText(join(dir, 'dm/name')))?.trim();
  const suspended = num((await readText(join(dir, 'dm/suspended')))?.trim());
  const sectors = num((await readText(join(dir, 'size')))?.trim());
  if (name === undefined || suspended === undefined || sectors === undefined) return `${sysfsName}: dm/name, dm/suspended or size missing or not a number`;
  const paths: MultipathMap['paths'] = [];
  for (const device of (listDir(join(dir, 'slaves')) ?? []).sort()) {
    const state = (await readText(join(block, device, 'device/state')))?.trim();
    if (state === undefined) return `${sysfsName}: path ${device} has no device/state`;
    paths.push({ device, state });
  }
  return { name, sysfsName, uuid, suspended: suspended === 1, sizeBytes: sectors * SECTOR_BYTES, paths };
}

export function dmMultipathCollector(): Collector {
  return {
    name: 'dmmultipath',
    defaultEnabled: false,
    async collect(ctx): Promise<FamilySamples[]> {
      const block = join(ctx.paths.sysfs, 'block');
      const entries = listDir(block);
      if (!entries) throw new NoDataError(`${block} does not exist`);
      const maps: MultipathMap[] = [];
      for (const e of entries.filter((x) => x.startsWith('dm-')).sort()) {
        const m = await readMap(block, e);
        if (typeof m === 'object') maps.push(m);
        else if (m !== 'skip') ctx.issues.push(quote(m));
      }
      return dmMultipathFamilies(maps);
    },
  };
}
