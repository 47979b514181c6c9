import t from 'tap';
import { join } from 'node:path';
import { cpuCollector, parseCpuStat } from '../../../agent/collectors/host/cpu';
import { parseSystemStat } from '../../../agent/collectors/host/stat';
import { collectContext, edgeFixtures } from './fixture';

t.test('per-CPU lines become seconds per mode (USER_HZ 100); the aggregate line is skipped', async (t) => {
  const cpus = parseCpuStat('cpu  200 0 100 900 0 0 0 0 0 0\ncpu0 150 10 50 450 5 1 2 3 40 4\n');
  t.equal(cpus.length, 1);
  t.same(cpus[0], {
    cpu: '0',
    seconds: { user: 1.5, nice: 0.1, system: 0.5, idle: 4.5, iowait: 0.05, irq: 0.01, softirq: 0.02, steal: 0.03 },
    guest: 0.4,
    guestNice: 0.04,
  });
});

t.test('hot-plugged CPUs keep their own numbers (cpu1 offline: cpu0, cpu2)', async (t) => {
  const cpus = parseCpuStat('cpu  1 1 1 1\ncpu0 100 0 0 100 0 0 0 0 0 0\ncpu2 300 0 0 300 0 0 0 0 0 0\nintr 5\n');
  t.same(
    cpus.map((c) => [c.cpu, c.seconds.user]),
    [
      ['0', 1],
      ['2', 3],
    ],
  );
});

t.test('an old kernel without steal/guest columns yields the modes it has', async (t) => {
  const [c] = parseCpuStat('cpu0 100 0 50 1000 2 0 1\n');
  t.same(Object.keys(c!.seconds), ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq']);
  t.equal(c!.guest, undefined);
});

t.test('a truncated or garbled line is skipped and reported', async (t) => {
  const issues: string[] = [];
  const cpus = parseCpuStat('cpu0 100 0 50 1000 0 0 0 0 0 0\ncpu1 10 x\ncpu2 1', issues);
  t.equal(cpus.length, 1);
  t.equal(issues.length, 2, 'cpu1 (garbled) and cpu2 (truncated)');
});

t.test('collector over the hot-plug fixture: labels follow the kernel, a garbled line is an issue', async (t) => {
  const ctx = collectContext({ procfs: join(edgeFixtures, 'hotplug/proc') });
  const fams = await cpuCollector().collect(ctx);
  const cpus = new Set(fams[0]!.samples.map((s) => s.labels.cpu));
  t.same([...cpus], ['0', '2']);
  t.equal(fams[0]!.name, 'node_cpu_seconds_total');
  t.equal(fams[0]!.samples.find((s) => s.labels.cpu === '2' && s.labels.mode === 'idle')?.value, 22);
  t.equal(ctx.issues.length, 1, 'the truncated cpu3 line is noted once (the runner logs it)');
  t.match(ctx.issues[0], /cpu3/);
});

t.test('system-wide /proc/stat lines', async (t) => {
  const s = parseSystemStat('cpu  1 2 3 4\nintr 9876 1 2 3\nctxt 1234\nbtime 1700000000\nprocesses 42\nprocs_running 3\nprocs_blocked 0\nsoftirq 1 2\n');
  t.same(s, { interrupts: 9876, contextSwitches: 1234, bootTime: 1700000000, forks: 42, procsRunning: 3, procsBlocked: 0 });
  const issues: string[] = [];
  t.same(parseSystemStat('ctxt\nbtime x\nprocesses 5', issues), { forks: 5 });
  t.equal(issues.length, 2);
});

t.test('cpu lists of /sys/devices/system/cpu/isolated', async (t) => {
  const { parseCpuList } = await import('../../../agent/collectors/host/cpu');
  t.same(parseCpuList('0-2,5\n'), [0, 1, 2, 5]);
  t.same(parseCpuList('\n'), []);
  t.equal(parseCpuList('3-1'), undefined);
  t.equal(parseCpuList('a,b'), undefined);
});

t.test('node_cpu_online: 1 for "1", 0 for "0" and for a CPU without the file, CPUs in numeric order', async (t) => {
  const ctx = collectContext({ procfs: join(edgeFixtures, 'hotplug/proc'), sysfs: join(edgeFixtures, 'hotplug/sys') });
  const fams = await cpuCollector().collect(ctx);
  const online = fams.find((f) => f.name === 'node_cpu_online');
  t.ok(online, 'reported: cpu0 has an online file');
  t.equal(online!.help, 'CPUs that are online and being scheduled.');
  t.equal(online!.type, 'gauge');
  t.same(
    online!.samples.map((s) => [s.labels.cpu, s.value]),
    [
      ['0', 1],
      ['1', 0],
      ['2', 1],
      ['3', 0],
      ['10', 1],
    ],
  );
});

t.test('node_cpu_online is left out where the first CPU has no online file (x86: cpu0 cannot go offline)', async (t) => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const sys = mkdtempSync(join(tmpdir(), 'outrider-cpu-online-'));
  t.teardown(() => rmSync(sys, { recursive: true, force: true }));
  mkdirSync(join(sys, 'devices/system/cpu/cpu0'), { recursive: true });
  mkdirSync(join(sys, 'devices/system/cpu/cpu1'), { recursive: true });
  writeFileSync(join(sys, 'devices/system/cpu/cpu1/online'), '1\n');
  const fams = await cpuCollector().collect(collectContext({ sysfs: sys }));
  t.notOk(
    fams.some((f) => f.name === 'node_cpu_online'),
    'no family, as node_exporter',
  );
  writeFileSync(join(sys, 'devices/system/cpu/cpu0/online'), '1\n');
  const again = await cpuCollector().collect(collectContext({ sysfs: sys }));
  t.same(
    again.find((f) => f.name === 'node_cpu_online')?.samples.map((s) => s.value),
    [1, 1],
  );
});
