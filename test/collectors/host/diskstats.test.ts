import t from 'tap';
import { diskstatsCollector, parseDiskstats, parseUdevData } from '../../../agent/collectors/host/diskstats';
import { collectContext } from './fixture';

t.test('11-, 15- and 17-field records all parse', async (t) => {
  const d = parseDiskstats(' 8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n 8 16 sdb 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n 259 0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n');
  t.same(
    d.map((x) => [x.device, x.values.length]),
    [
      ['sda', 11],
      ['sdb', 15],
      ['nvme0n1', 17],
    ],
  );
});

t.test('a garbled record is skipped and reported', async (t) => {
  const issues: string[] = [];
  const d = parseDiskstats(' 8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n 8 16 sdb garbled\n 8 32 sdc 1 2 x 4 5 6 7 8 9 10 11\n', issues);
  t.same(
    d.map((x) => x.device),
    ['sda'],
  );
  t.equal(issues.length, 2);
});

t.test('units: sectors × 512 → bytes, ms → seconds; default exclusion drops partitions, loop and zram', async (t) => {
  const fams = await diskstatsCollector().collect(collectContext());
  const get = (name: string, device: string) => fams.find((f) => f.name === name)?.samples.find((s) => s.labels.device === device)?.value;
  t.equal(get('node_disk_read_bytes_total', 'sda'), 1003346126 * 512);
  t.equal(get('node_disk_read_time_seconds_total', 'sda'), 18492.372);
  t.equal(get('node_disk_flush_requests_total', 'sda'), 8500);
  t.equal(get('node_disk_flush_requests_total', 'nvme0n1'), undefined, 'a 15-field kernel has no flush fields');
  t.equal(get('node_disk_discards_completed_total', 'dm-0'), undefined, 'an 11-field kernel has no discard fields');
  const devices = new Set(fams.flatMap((f) => f.samples.map((s) => s.labels.device)));
  for (const gone of ['sda1', 'sda2', 'nvme0n1p1', 'loop0', 'zram0']) t.notOk(devices.has(gone), `${gone} excluded`);
  for (const kept of ['sda', 'nvme0n1', 'dm-0', 'mmcblk0', 'sr0']) t.ok(devices.has(kept), `${kept} kept`);
  const info = fams.find((f) => f.name === 'node_disk_info')?.samples.find((s) => s.labels.device === 'sda');
  t.equal(info?.labels.model, 'Samsung_SSD_860_EVO_1TB', 'udev properties from /run/udev/data under rootfs');
});

t.test('device_include narrows, an empty device_exclude keeps partitions', async (t) => {
  const only = await diskstatsCollector().collect(collectContext({}, { 'collectors.diskstats.device_include': '^sd', 'collectors.diskstats.device_exclude': '' }));
  const devices = new Set(only.flatMap((f) => f.samples.map((s) => s.labels.device)));
  t.same([...devices].sort(), ['sda', 'sda1', 'sda2']);
});

t.test('udev data', async (t) => {
  t.same(
    [...parseUdevData('S:disk/by-id/x\nE:ID_MODEL=Disk\nE:ID_WWN=0x1\nG:systemd\n')],
    [
      ['ID_MODEL', 'Disk'],
      ['ID_WWN', '0x1'],
    ],
  );
});

t.test('collectors.diskstats.udev_data_path replaces <rootfs>/run/udev/data', async (t) => {
  const fams = await diskstatsCollector().collect(collectContext({}, { 'collectors.diskstats.udev_data_path': '/nonexistent-udev' }));
  const sda = fams.find((f) => f.name === 'node_disk_info')?.samples.find((s) => s.labels.device === 'sda');
  t.equal(sda?.labels.model, '', 'no database there: empty labels');
  t.notOk(
    fams.some((f) => f.name === 'node_disk_ata_write_cache'),
    'and no udev families',
  );
});
