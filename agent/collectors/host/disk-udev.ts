/**
 * The udev-derived disk families of node_exporter's diskstats collector, from the udev database
 * (`/run/udev/data/b<major>:<minor>`, `E:KEY=value` lines): node_disk_info's identity labels, and
 * node_disk_filesystem_info (ID_FS_*), node_disk_device_mapper_info (DM_*) and node_disk_ata_* (ID_ATA_*) for the
 * devices that have those properties. node_disk_info's `rotational` comes from sysfs (`queue/rotational`).
 */
import { family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { lines, num } from './text';

/** udev database entry (`E:KEY=value` lines) → properties. */
export function parseUdevData(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines(text)) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq > 2) out.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return out;
}

/** node_exporter's serial: SCSI_IDENT_SERIAL (the one printed on the label), else ID_SERIAL_SHORT. */
export function udevSerial(udev: ReadonlyMap<string, string>): string {
  return udev.get('SCSI_IDENT_SERIAL') || udev.get('ID_SERIAL_SHORT') || '';
}

const ata: Array<[string, string, string]> = [
  ['ID_ATA_WRITE_CACHE', 'node_disk_ata_write_cache', 'ATA disk has a write cache.'],
  ['ID_ATA_WRITE_CACHE_ENABLED', 'node_disk_ata_write_cache_enabled', 'ATA disk has its write cache enabled.'],
  ['ID_ATA_ROTATION_RATE_RPM', 'node_disk_ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).'],
];

/** Accumulates the per-device udev families over one collection. */
export class UdevDiskFamilies {
  readonly filesystem = family('node_disk_filesystem_info', 'Info about disk filesystem.', 'gauge');
  readonly deviceMapper = family('node_disk_device_mapper_info', 'Info about disk device mapper.', 'gauge');
  readonly #ata = ata.map(([prop, name, help]) => ({ prop, fam: family(name, help, 'gauge') }));

  /** Adds `device`'s families; `issues` hears about an ATA property that is not a number. */
  add(device: string, udev: ReadonlyMap<string, string>, issues: string[]): void {
    const fsType = udev.get('ID_FS_TYPE');
    if (fsType) {
      this.filesystem.samples.push({
        labels: { device, type: fsType, usage: udev.get('ID_FS_USAGE') ?? '', uuid: udev.get('ID_FS_UUID') ?? '', version: udev.get('ID_FS_VERSION') ?? '' },
        value: 1,
      });
    }
    const dmName = udev.get('DM_NAME');
    if (dmName) {
      this.deviceMapper.samples.push({
        labels: {
          device,
          name: dmName,
          uuid: udev.get('DM_UUID') ?? '',
          vg_name: udev.get('DM_VG_NAME') ?? '',
          lv_name: udev.get('DM_LV_NAME') ?? '',
          lv_layer: udev.get('DM_LV_LAYER') ?? '',
        },
        value: 1,
      });
    }
    if (udev.get('ID_ATA')) {
      for (const { prop, fam } of this.#ata) {
        const raw = udev.get(prop);
        if (raw === undefined) continue;
        const v = num(raw);
        if (v === undefined) issues.push(`udev property ${prop}=${JSON.stringify(raw)} of ${device} is not a number`);
        else fam.samples.push({ labels: { device }, value: v });
      }
    }
  }

  families(): FamilySamples[] {
    return [this.filesystem, this.deviceMapper, ...this.#ata.map((a) => a.fam)];
  }
}
