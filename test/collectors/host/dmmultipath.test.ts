import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dmMultipathCollector } from '../../../agent/collectors/host/dmmultipath';
import { NoDataError } from '../../../agent/collectors/collector';
import { UdevDiskFamilies } from '../../../agent/collectors/host/disk-udev';
import { collectContext } from './fixture';

const value = (fams: Awaited<ReturnType<ReturnType<typeof dmMultipathCollector>['collect']>>, name: string, labels: Record<string, string>) =>
  fams.find((f) => f.name === name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

t.test('fixture host: multipath maps only (the LVM volume is left out), paths counted by state', async (t) => {
  const fams = await dmMultipathCollector().collect(collectContext());
  const info = fams.find((f) => f.name === 'node_dmmultipath_device_info')!;
  t.same(
    info.samples.map((s) => s.labels.sysfs_name),
    ['dm-1', 'dm-2'],
    'dm-0 (uuid LVM-…) is not multipath',
  );
  t.equal(value(fams, 'node_dmmultipath_device_paths_active', { device: 'mpatha' }), 1, 'running is active');
  t.equal(value(fams, 'node_dmmultipath_device_paths_failed', { device: 'mpatha' }), 1, 'offline is failed');
  t.equal(value(fams, 'node_dmmultipath_device_paths_active', { device: 'mpathb' }), 1, 'NVMe live is active');
  t.equal(value(fams, 'node_dmmultipath_device_active', { device: 'mpathb' }), 0, 'suspended map');
  t.equal(value(fams, 'node_dmmultipath_device_size_bytes', { device: 'mpatha' }), 2097152 * 512, 'sectors × 512');
  t.equal(value(fams, 'node_dmmultipath_path_state', { path: 'sdd', state: 'offline' }), 1);
});

t.test('no /sys/block is no data; a broken map is noted and the others reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-dm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.rejects(dmMultipathCollector().collect(collectContext({ sysfs: join(dir, 'nosys') })), NoDataError);
  const block = join(dir, 'block');
  for (const [dm, name] of [
    ['dm-3', 'good'],
    ['dm-4', 'broken'],
  ] as const) {
    mkdirSync(join(block, dm, 'dm'), { recursive: true });
    mkdirSync(join(block, dm, 'slaves'));
    writeFileSync(join(block, dm, 'dm/uuid'), `mpath-${name}\n`);
    writeFileSync(join(block, dm, 'dm/name'), `${name}\n`);
    writeFileSync(join(block, dm, 'dm/suspended'), '0\n');
    writeFileSync(join(block, dm, 'size'), '8\n');
  }
  symlinkSync('../../sde', join(block, 'dm-4/slaves/sde')); // a path without device/state
  const ctx = collectContext({ sysfs: dir });
  const fams = await dmMultipathCollector().collect(ctx);
  t.same(
    fams.find((f) => f.name === 'node_dmmultipath_device_info')?.samples.map((s) => s.labels.device),
    ['good'],
  );
  t.equal(value(fams, 'node_dmmultipath_device_paths', { device: 'good' }), 0, 'a map without paths has 0');
  t.equal(ctx.issues.length, 1);
  t.match(ctx.issues[0], /dm-4: path sde has no device\/state/);
});

t.test('udev: ATA figures only for ATA disks; a property that is not a number is noted, not reported', async (t) => {
  const u = new UdevDiskFamilies();
  const issues: string[] = [];
  u.add(
    'sda',
    new Map([
      ['ID_ATA', '1'],
      ['ID_ATA_ROTATION_RATE_RPM', 'fast'],
      ['ID_ATA_WRITE_CACHE', '1'],
    ]),
    issues,
  );
  u.add('vda', new Map([['ID_ATA_WRITE_CACHE', '1']]), issues);
  const fams = u.families();
  t.same(fams.find((f) => f.name === 'node_disk_ata_write_cache')?.samples, [{ labels: { device: 'sda' }, value: 1 }]);
  t.same(fams.find((f) => f.name === 'node_disk_ata_rotation_rate_rpm')?.samples, []);
  t.equal(issues.length, 1);
  t.match(issues[0], /ID_ATA_ROTATION_RATE_RPM="fast" of sda/);
});
