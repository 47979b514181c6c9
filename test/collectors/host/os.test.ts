/** os: SUPPORT_END of os-release as node_os_support_end_timestamp_seconds (node_exporter 1.8). */
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { osCollector, supportEndSeconds } from '../../../agent/collectors/host/os';
import { collectContext } from './fixture';

t.test('SUPPORT_END dates: midnight UTC; anything but a calendar YYYY-MM-DD is refused', async (t) => {
  t.equal(supportEndSeconds('2028-06-30'), 1_845_936_000);
  t.equal(supportEndSeconds('2024-02-29'), 1_709_164_800, 'a leap day');
  t.equal(supportEndSeconds('2023-02-29'), undefined, 'not a leap year');
  t.equal(supportEndSeconds('2028-6-30'), undefined);
  t.equal(supportEndSeconds('2028-06-30T00:00:00Z'), undefined);
  t.equal(new Date(supportEndSeconds('0050-01-01')! * 1000).getUTCFullYear(), 50, 'a two-digit year is not read as 19xx');
});

t.test('fixture host: the family with its help; info and version unchanged', async (t) => {
  const fams = await osCollector().collect(collectContext());
  const end = fams.find((f) => f.name === 'node_os_support_end_timestamp_seconds');
  t.equal(end?.help, 'Metric containing the end-of-life date timestamp of the OS.');
  t.equal(end?.type, 'gauge');
  t.same(end?.samples, [{ labels: {}, value: 1_845_936_000 }]);
  t.ok(fams.find((f) => f.name === 'node_os_info'));
});

t.test('no SUPPORT_END: no family; a garbled one: an issue, node_os_info kept', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'outrider-os-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID=12\n');
  let ctx = collectContext({ rootfs: root });
  let names = (await osCollector().collect(ctx)).map((f) => f.name);
  t.same(names, ['node_os_info', 'node_os_version']);
  writeFileSync(join(root, 'etc/os-release'), 'ID=debian\nSUPPORT_END="June 2028"\n');
  ctx = collectContext({ rootfs: root });
  names = (await osCollector().collect(ctx)).map((f) => f.name);
  t.same(names, ['node_os_info']);
  t.match(ctx.issues, [/SUPPORT_END "June 2028" is not a YYYY-MM-DD date/]);
});
