/**
 * diskstats: /proc/diskstats → node_disk_* per block device (node_exporter's diskstats collector).
 *
 * Sectors are 512 bytes whatever the device's own sector size (the kernel's block layer unit); times are ms → s.
 * Kernels from 4.18 add four discard fields, from 5.5 two flush fields; they are exposed when present. Devices are
 * filtered by `collectors.diskstats.device_include` / `device_exclude` (partitions and loop/ram devices by default).
 * node_disk_info carries the udev properties node_exporter reads from the udev database (`<rootfs>/run/udev/data`, or
 * `collectors.diskstats.udev_data_path`) when the host has them, empty labels otherwise, and `rotational` from
 * `/sys/block/<device>/queue/rotational` ("0" where the device has none); disk-udev.ts adds the families node_exporter
 * derives from the same properties.
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples, MetricType } from '../../store/types';
import { hostOptions } from './options';
import { fields, Issues, lines, num, quote, readText, readTextRequired } from './text';
import { parseUdevData, UdevDiskFamilies, udevSerial } from './disk-udev';

export { parseUdevData } from './disk-udev';

export const SECTOR_BYTES = 512;

export interface DiskStats {
  major: string;
  minor: string;
  device: string;
  /** The numeric fields after the name, as the kernel wrote them (11, 15 or 17 of them). */
  values: number[];
}

export function parseDiskstats(text: string, issues: Issues = []): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of lines(text)) {
    const f = fields(line);
    const values = f.slice(3).map(num);
    if (f.length < 14 || num(f[0]) === undefined || num(f[1]) === undefined || values.some((v) => v === undefined)) {
      issues.push(`line ${quote(line)} is not a diskstats record`);
      continue;
    }
    out.push({ major: f[0]!, minor: f[1]!, device: f[2]!, values: values as number[] });
  }
  return out;
}

interface Field {
  index: number;
  name: string;
  help: string;
  type: MetricType;
  scale: number;
}

const ms = 0.001;
export const diskFields: Field[] = [
  { index: 0, name: 'node_disk_reads_completed_total', help: 'The total number of reads completed successfully.', type: 'counter', scale: 1 },
  { index: 1, name: 'node_disk_reads_merged_total', help: 'The total number of reads merged.', type: 'counter', scale: 1 },
  { index: 2, name: 'node_disk_read_bytes_total', help: 'The total number of bytes read successfully.', type: 'counter', scale: SECTOR_BYTES },
  { index: 3, name: 'node_disk_read_time_seconds_total', help: 'The total number of seconds spent by all reads.', type: 'counter', scale: ms },
  { index: 4, name: 'node_disk_writes_completed_total', help: 'The total number of writes completed successfully.', type: 'counter', scale: 1 },
  { index: 5, name: 'node_disk_writes_merged_total', help: 'The number of writes merged.', type: 'counter', scale: 1 },
  { index: 6, name: 'node_disk_written_bytes_total', help: 'The total number of bytes written successfully.', type: 'counter', scale: SECTOR_BYTES },
  { index: 7, name: 'node_disk_write_time_seconds_total', help: 'This is the total number of seconds spent by all writes.', type: 'counter', scale: ms },
  { index: 8, name: 'node_disk_io_now', help: 'The number of I/Os currently in progress.', type: 'gauge', scale: 1 },
  { index: 9, name: 'node_disk_io_time_seconds_total', help: 'Total seconds spent doing I/Os.', type: 'counter', scale: ms },
  { index: 10, name: 'node_disk_io_time_weighted_seconds_total', help: 'The weighted # of seconds spent doing I/Os.', type: 'counter', scale: ms },
  { index: 11, name: 'node_disk_discards_completed_total', help: 'The total number of discards completed successfully.', type: 'counter', scale: 1 },
  { index: 12, name: 'node_disk_discards_merged_total', help: 'The total number of discards merged.', type: 'counter', scale: 1 },
  { index: 13, name: 'node_disk_discarded_sectors_total', help: 'The total number of sectors discarded successfully.', type: 'counter', scale: 1 },
  { index: 14, name: 'node_disk_discard_time_seconds_total', help: 'This is the total number of seconds spent by all discards.', type: 'counter', scale: ms },
  { index: 15, name: 'node_disk_flush_requests_total', help: 'The total number of flush requests completed successfully', type: 'counter', scale: 1 },
  { index: 16, name: 'node_disk_flush_requests_time_seconds_total', help: 'This is the total number of seconds spent by all flush requests.', type: 'counter', scale: ms },
];

/** Rounds away binary noise from ms → s and sector → byte scaling (0.001 * 16706 is 16.706000000000003). */
function scaled(v: number, scale: number): number {
  return scale === 1 ? v : Number((v * scale).toPrecision(15));
}

export function diskstatsCollector(): Collector {
  return {
    name: 'diskstats',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const disks = parseDiskstats(await readTextRequired(join(ctx.paths.procfs, 'diskstats')), ctx.issues);
      const { include, exclude, udevDataPath } = hostOptions(ctx.config).diskstats;
      const udevDir = udevDataPath || join(ctx.paths.rootfs, 'run/udev/data');
      const fams = diskFields.map((f) => family(f.name, f.help, f.type));
      const udevFams = new UdevDiskFamilies();
      const info = family('node_disk_info', 'Info of /sys/block/<block_device>.', 'gauge');
      for (const d of disks) {
        if (include && !include.test(d.device)) continue;
        if (exclude && exclude.test(d.device)) continue;
        const labels = { device: d.device };
        for (let i = 0; i < diskFields.length; i++) {
          const f = diskFields[i]!;
          const v = d.values[f.index];
          if (v !== undefined) fams[i]!.samples.push({ labels, value: scaled(v, f.scale) });
        }
        const udevText = await readText(join(udevDir, `b${d.major}:${d.minor}`));
        const udev = udevText === undefined ? new Map<string, string>() : parseUdevData(udevText);
        const rotational = ((await readText(join(ctx.paths.sysfs, 'block', d.device, 'queue/rotational'))) ?? '').trim() === '1' ? '1' : '0';
        udevFams.add(d.device, udev, ctx.issues);
        info.samples.push({
          labels: {
            device: d.device,
            major: d.major,
            minor: d.minor,
            path: udev.get('ID_PATH') ?? '',
            wwn: udev.get('ID_WWN') ?? '',
            model: udev.get('ID_MODEL') ?? '',
            serial: udevSerial(udev),
            revision: udev.get('ID_REVISION') ?? '',
            rotational,
          },
          value: 1,
        });
      }
      return [...fams, info, ...udevFams.families()].filter((f) => f.samples.length > 0);
    },
  };
}
