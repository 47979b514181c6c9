import t from 'tap';
import { join } from 'node:path';
import { NoDataError } from '../../../agent/collectors/collector';
import { cgroupCollector, parseCpuMax, parseIoStat, parseMaxValue, parseProcCgroup } from '../../../agent/collectors/host/cgroup';
import { collectContext, edgeFixtures } from './fixture';

t.test('own cgroup from /proc/self/cgroup', async (t) => {
  t.equal(parseProcCgroup('0::/system.slice/outrider.service\n'), '/system.slice/outrider.service');
  t.equal(parseProcCgroup('4:memory:/x\n0::/\n'), '/');
  t.equal(parseProcCgroup('4:memory:/x\n1:cpu:/\n'), undefined, 'v1 only');
});

t.test('max values', async (t) => {
  t.equal(parseMaxValue('max\n'), Infinity);
  t.equal(parseMaxValue('1073741824\n'), 1073741824);
  t.equal(parseMaxValue('garbage'), undefined);
  t.same(parseCpuMax('max 100000\n'), { quota: Infinity, period: 100000 });
  t.same(parseCpuMax('50000 100000\n'), { quota: 50000, period: 100000 });
});

t.test('io.stat', async (t) => {
  const issues: string[] = [];
  const io = parseIoStat('8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\nbogus\n253:1 rbytes=5\n', issues);
  t.same(
    io.map((d) => [d.major, d.minor, d.stats.get('rbytes')]),
    [
      ['8', '0', 10],
      ['253', '1', 5],
    ],
  );
  t.equal(issues.length, 1);
});

t.test('collector over the fixture: cAdvisor names; memory.max "max" leaves the limit out', async (t) => {
  const fams = await cgroupCollector().collect(collectContext());
  const v = (name: string, labels: Record<string, string> = {}) => fams.find((f) => f.name === name)?.samples.find((s) => Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
  t.equal(v('container_cpu_usage_seconds_total', { cpu: 'total', id: '/system.slice/outrider.service' }), 8.126);
  t.equal(v('container_memory_usage_bytes'), 73400320);
  t.equal(v('container_memory_working_set_bytes'), 73400320 - 16777216, 'usage minus inactive_file');
  t.equal(v('container_spec_memory_limit_bytes'), undefined, 'no limit → no series');
  t.equal(v('container_spec_cpu_quota'), 50000);
  t.equal(v('container_threads_max'), 0, 'pids.max "max" → 0 as cAdvisor reports no limit');
  t.equal(v('container_fs_reads_bytes_total', { device: '/dev/sda' }), 1048576, 'MAJ:MIN resolved through /sys/dev/block');
  t.equal(v('container_fs_writes_bytes_total', { device: '259:0' }), 8192, 'unresolvable devices keep MAJ:MIN');
});

t.test('a configured path with a byte limit', async (t) => {
  const fams = await cgroupCollector().collect(collectContext({}, { 'collectors.cgroup.path': '/system.slice/outrider.service' }));
  t.ok(fams.find((f) => f.name === 'container_memory_usage_bytes'));
});

t.test('the root cgroup on a hybrid (v1 + unified) host: only what exists', async (t) => {
  const root = join(edgeFixtures, 'cgroup-root');
  const fams = await cgroupCollector().collect(collectContext({ procfs: join(root, 'proc'), sysfs: join(root, 'sys') }));
  t.same(fams.map((f) => f.name).sort(), [
    'container_cpu_system_seconds_total',
    'container_cpu_usage_seconds_total',
    'container_cpu_user_seconds_total',
    'container_pressure_cpu_waiting_seconds_total',
  ]);
  t.equal(fams[0]!.samples[0]!.labels.id, '/');
});

t.test('no cgroup v2 at all: no data', async (t) => {
  await t.rejects(cgroupCollector().collect(collectContext({ procfs: join(edgeFixtures, 'no-psi/proc'), sysfs: join(edgeFixtures, 'no-psi/sys') })), NoDataError);
});

t.test('a cgroup outside our namespace root is not followed', async (t) => {
  await t.rejects(cgroupCollector().collect(collectContext({}, { 'collectors.cgroup.path': '/../../etc' })), NoDataError);
});
