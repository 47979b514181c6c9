import t from 'tap';
import { join } from 'node:path';
import { cpufreqCollector, parseKhz } from '../../../agent/collectors/host/cpufreq';
import { entropyCollector } from '../../../agent/collectors/host/entropy';
import { filefdCollector, parseFileNr } from '../../../agent/collectors/host/filefd';
import { localZone, timeCollector } from '../../../agent/collectors/host/time';
import { unameCollector } from '../../../agent/collectors/host/uname';
import { collectContext, edgeFixtures, fixtureNowMs } from './fixture';

t.test('file-nr', async (t) => {
  t.same(parseFileNr('1024\t0\t1631329\n'), { allocated: 1024, maximum: 1631329 });
  t.throws(() => parseFileNr('1024 0'));
  const fams = await filefdCollector().collect(collectContext());
  t.same(
    fams.map((f) => [f.name, f.samples[0]!.value]),
    [
      ['node_filefd_allocated', 1024],
      ['node_filefd_maximum', 1631329],
    ],
  );
});

t.test('entropy', async (t) => {
  const fams = await entropyCollector().collect(collectContext());
  t.same(
    fams.map((f) => f.name),
    ['node_entropy_available_bits', 'node_entropy_pool_size_bits'],
  );
});

t.test('uname from /proc/sys/kernel; machine from kernel.arch, else the injected fallback', async (t) => {
  const [f] = await unameCollector({ machine: () => 'never-used' }).collect(collectContext());
  t.same(f!.samples[0]!.labels, {
    sysname: 'Linux',
    release: '6.1.0-18-amd64',
    version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)',
    machine: 'x86_64',
    nodename: 'fixture-host',
    domainname: '(none)',
  });
  const hot = join(edgeFixtures, 'hotplug/proc');
  await t.rejects(unameCollector().collect(collectContext({ procfs: hot })), { code: 'OUTRIDER_ERR_COLLECTOR_NO_DATA' });
});

t.test('time: injected clock and zone; clocksources from sysfs', async (t) => {
  const fams = await timeCollector({ zone: () => ({ name: 'CET', offsetSeconds: 3600 }) }).collect(collectContext());
  const by = Object.fromEntries(fams.map((f) => [f.name, f.samples]));
  t.equal(by.node_time_seconds![0]!.value, fixtureNowMs / 1000);
  t.same(by.node_time_zone_offset_seconds![0], { labels: { time_zone: 'CET' }, value: 3600 });
  t.same(by.node_time_clocksource_current_info![0]!.labels, { clocksource: 'tsc', device: '0' });
  t.equal(by.node_time_clocksource_available_info!.length, 3);
  const z = localZone(fixtureNowMs);
  t.type(z.name, 'string');
  t.equal(z.offsetSeconds, -new Date(fixtureNowMs).getTimezoneOffset() * 60);
});

t.test('cpufreq: kHz → Hz, governors; CPUs without cpufreq are skipped', async (t) => {
  t.equal(parseKhz('1200000\n'), 1.2e9);
  t.equal(parseKhz('<unknown>'), undefined);
  const fams = await cpufreqCollector().collect(collectContext());
  const cur = fams.find((f) => f.name === 'node_cpu_frequency_hertz')!;
  t.same(
    cur.samples.map((s) => s.labels.cpu),
    ['0', '1'],
  );
  const gov = fams.find((f) => f.name === 'node_cpu_scaling_governor')!;
  t.same(
    gov.samples.filter((s) => s.value === 1).map((s) => s.labels),
    [
      { cpu: '0', governor: 'powersave' },
      { cpu: '1', governor: 'powersave' },
    ],
  );
});
