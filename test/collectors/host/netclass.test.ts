import t from 'tap';
import { adminState, netclassCollector, parseSysInt } from '../../../agent/collectors/host/netclass';
import { collectContext } from './fixture';

t.test('sysfs integers: decimal and 0x hex', async (t) => {
  t.equal(parseSysInt('0x1003'), 4099);
  t.equal(parseSysInt('-1'), -1);
  t.equal(parseSysInt('1500'), 1500);
  t.equal(parseSysInt('fast'), undefined);
  t.equal(parseSysInt(undefined), undefined);
});

t.test('interfaces: info labels, up from operstate, unreadable attributes left out', async (t) => {
  const fams = await netclassCollector().collect(collectContext());
  const by = Object.fromEntries(fams.map((f) => [f.name, f.samples]));
  t.same(
    by.node_network_up!.map((s) => [s.labels.device, s.value]),
    [
      ['eth0', 1],
      ['lo', 0],
      ['wlan0', 0],
    ],
  );
  t.same(
    by.node_network_speed_bytes!.map((s) => [s.labels.device, s.value]),
    [
      ['eth0', 125_000_000],
      ['wlan0', -125000],
    ],
  );
  t.equal(by.node_network_info!.find((s) => s.labels.device === 'lo')?.labels.duplex, '', 'lo has no duplex');
  const excluded = await netclassCollector().collect(collectContext({}, { 'collectors.netclass.device_exclude': '^lo$' }));
  t.notOk(excluded.some((f) => f.samples.some((s) => s.labels.device === 'lo')));
});

t.test('node_network_info: adminstate from IFF_UP in flags (node_exporter 1.6+)', async (t) => {
  t.equal(adminState('0x1003'), 'up');
  t.equal(adminState('0x1002'), 'down');
  t.equal(adminState(undefined), 'unknown', 'no flags file');
  t.equal(adminState('garbage'), 'unknown');
  const fams = await netclassCollector().collect(collectContext());
  const info = fams.find((f) => f.name === 'node_network_info')!;
  t.ok(
    info.samples.every((s) => ['up', 'down', 'unknown'].includes(s.labels.adminstate!)),
    'every interface has one',
  );
});

t.test('ignore_invalid_speed: an unknown speed (-1) is -125000 by default, left out when set', async (t) => {
  const speeds = async (overrides: Record<string, unknown>) =>
    (await netclassCollector().collect(collectContext({}, overrides))).find((f) => f.name === 'node_network_speed_bytes')!.samples.map((s) => [s.labels.device, s.value]);
  t.same(await speeds({}), [
    ['eth0', 125_000_000],
    ['wlan0', -125_000],
  ]);
  t.same(await speeds({ 'collectors.netclass.ignore_invalid_speed': true }), [['eth0', 125_000_000]]);
});

t.test('--collector.netclass.ignore-invalid-speed (and --no-) are accepted as node_exporter spells them', async (t) => {
  const { parseArgs } = await import('../../../agent/cli/args');
  const { configFromArgs } = await import('../../../agent/cli/config-args');
  const on = configFromArgs(parseArgs(['--collector.netclass.ignore-invalid-speed']), {});
  t.same(on.problems, []);
  t.equal(on.config.bool('collectors.netclass.ignore_invalid_speed'), true);
  const off = configFromArgs(parseArgs(['--collector.netclass.ignore-invalid-speed', '--no-collector.netclass.ignore-invalid-speed']), {});
  t.same(off.problems, []);
  t.equal(off.config.bool('collectors.netclass.ignore_invalid_speed'), false);
});
