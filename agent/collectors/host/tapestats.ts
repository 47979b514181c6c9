/**
 * tapestats: /sys/class/scsi_tape/st<N>/stats/* → node_tape_*{device} as node_exporter's tapestats collector (the
 * rewinding device st<N> only: nst<N> and the mode devices st<N>[lma] count the same drive). Times are nanoseconds
 * → seconds. Devices matching collectors.tapestats.ignored_devices are left out. No /sys/class/scsi_tape: NoDataError.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { hostOptions } from './options';
import { goUint, readTrim } from './sysfs-attrs';
import { listDir } from './text';

/** [stats file, metric, type, scale, help]. */
const stats: Array<[string, string, FamilySamples['type'], number, string]> = [
  ['in_flight', 'io_now', 'gauge', 1, 'The number of I/Os currently outstanding to this device.'],
  [
    'io_ns',
    'io_time_seconds_total',
    'counter',
    1e-9,
    'The amount of time spent waiting for all I/O to complete (including read and write). This includes tape movement commands such as seeking between file or set marks and implicit tape movement such as when rewind on close tape devices are used.',
  ],
  [
    'other_cnt',
    'io_others_total',
    'counter',
    1,
    'The number of I/Os issued to the tape drive other than read or write commands. The time taken to complete these commands uses the following calculation io_time_seconds_total-read_time_seconds_total-write_time_seconds_total',
  ],
  ['read_byte_cnt', 'read_bytes_total', 'counter', 1, 'The number of bytes read from the tape drive.'],
  ['read_cnt', 'reads_completed_total', 'counter', 1, 'The number of read requests issued to the tape drive.'],
  ['read_ns', 'read_time_seconds_total', 'counter', 1e-9, 'The amount of time spent waiting for read requests to complete.'],
  [
    'resid_cnt',
    'residual_total',
    'counter',
    1,
    'The number of times during a read or write we found the residual amount to be non-zero. This should mean that a program is issuing a read larger thean the block size on tape. For write not all data made it to tape.',
  ],
  ['write_byte_cnt', 'written_bytes_total', 'counter', 1, 'The number of bytes written to the tape drive.'],
  ['write_cnt', 'writes_completed_total', 'counter', 1, 'The number of write requests issued to the tape drive.'],
  ['write_ns', 'write_time_seconds_total', 'counter', 1e-9, 'The amount of time spent waiting for write requests to complete.'],
];

/** Device → stats file → value. */
export function tapeFamilies(devices: Array<[string, Map<string, number>]>): FamilySamples[] {
  return stats
    .map(([file, metric, type, scale, help]) => {
      const f = family(`node_tape_${metric}`, help, type);
      for (const [device, values] of devices) {
        const v = values.get(file);
        if (v !== undefined) f.samples.push({ labels: { device }, value: v * scale });
      }
      return f;
    })
    .filter((f) => f.samples.length > 0);
}

export function tapestatsCollector(): Collector {
  return {
    name: 'tapestats',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/scsi_tape');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const ignored = hostOptions(ctx.config).tapestats.ignoredDevices;
      const devices: Array<[string, Map<string, number>]> = [];
      for (const device of entries.filter((e) => /^st\d+$/.test(e)).sort()) {
        if (ignored?.test(device)) continue;
        const values = new Map<string, number>();
        for (const [file] of stats) {
          const raw = readTrim(join(base, device, 'stats', file));
          const v = goUint(raw);
          if (v !== undefined) values.set(file, v);
          else if (raw !== undefined) ctx.issues.push(`tapestats: ${device}/stats/${file} is not a count`);
        }
        devices.push([device, values]);
      }
      return tapeFamilies(devices);
    },
  };
}
