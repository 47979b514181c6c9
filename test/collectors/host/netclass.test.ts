import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { adminState, linkRefreshMs, netclassCollector, parseSysInt, slowRefreshMs } from '../../../agent/collectors/host/netclass';
import { collectContext } from './fixture';

/** A sysfs tree with one interface, eth9, and a writer of its attribute files. */
function oneInterface(t: Test): { sys: string; write: (o: Record<string, string>) => void } {
  const sys = mkdtempSync(join(tmpdir(), 'outrider-netclass-'));
  t.teardown(() => rmSync(sys, { recursive: true, force: true }));
  const dir = join(sys, 'class/net/eth9');
  mkdirSync(dir, { recursive: true });
  return {
    sys,
    write: (o) => {
      for (const [k, v] of Object.entries(o)) writeFileSync(join(dir, k), v + '\n');
    },
  };
}

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

t.test('between collections: state read every time, slow attributes on their refresh, refused ones after a state change', async (t) => {
  const { sys, write } = oneInterface(t);
  const attrs = { operstate: 'down', carrier: '0', flags: '0x1002', ifindex: '7', mtu: '1500', type: '1', address: 'aa:bb:cc:dd:ee:ff' };
  write(attrs);
  const c = netclassCollector();
  const at = async (nowMs: number) => {
    const fams = await c.collect({ ...collectContext({ sysfs: sys }), nowMs });
    const v = (name: string) => fams.find((f) => f.name === name)?.samples[0]?.value;
    return {
      up: v('node_network_up'),
      mtu: v('node_network_mtu_bytes'),
      type: v('node_network_protocol_type'),
      speed: v('node_network_speed_bytes'),
      info: fams.find((f) => f.name === 'node_network_info')!.samples[0]!.labels,
    };
  };
  const t0 = 1_000_000;
  t.same(await at(t0), {
    up: 0,
    mtu: 1500,
    type: 1,
    speed: undefined,
    info: { device: 'eth9', address: 'aa:bb:cc:dd:ee:ff', broadcast: '', duplex: '', ifalias: '', operstate: 'down', adminstate: 'down' },
  });

  write({ mtu: '9000', type: '772', speed: '1000', address: '11:22:33:44:55:66' });
  let r = await at(t0 + 1000);
  t.equal(r.mtu, 9000, 'mtu read every collection');
  t.equal(r.info.address, '11:22:33:44:55:66', 'address read every collection');
  t.equal(r.type, 1, 'type is a slow attribute: the remembered value');
  t.equal(r.speed, undefined, 'speed was absent: not read again while the state holds');

  write({ operstate: 'up', carrier: '1', flags: '0x1003' });
  r = await at(t0 + 2000);
  t.equal(r.up, 1, 'operstate read every collection');
  t.equal(r.info.adminstate, 'up', 'flags read every collection');
  t.equal(r.speed, 125_000_000, 'a state change reads the refused attributes again');
  t.equal(r.type, 1);

  r = await at(t0 + slowRefreshMs);
  t.equal(r.type, 772, 'slow attributes read again on their refresh');

  write({ type: '1', ifindex: '8' });
  r = await at(t0 + slowRefreshMs + 1000);
  t.equal(r.type, 1, 'a new ifindex (the interface made again) reads everything');
});

t.test('speed and duplex: kept while the state holds, read again on a state change and after linkRefreshMs', async (t) => {
  const { sys, write } = oneInterface(t);
  write({ operstate: 'up', carrier: '1', flags: '0x1003', ifindex: '7', speed: '1000', duplex: 'full' });
  const c = netclassCollector();
  const at = async (nowMs: number) => {
    const fams = await c.collect({ ...collectContext({ sysfs: sys }), nowMs });
    return {
      speed: fams.find((f) => f.name === 'node_network_speed_bytes')?.samples[0]?.value,
      duplex: fams.find((f) => f.name === 'node_network_info')!.samples[0]!.labels.duplex,
    };
  };
  const t0 = 1_000_000;
  t.same(await at(t0), { speed: 125_000_000, duplex: 'full' });
  write({ speed: '100', duplex: 'half' });
  t.same(await at(t0 + 1000), { speed: 125_000_000, duplex: 'full' }, 'the state holds: the link mode as last read');
  write({ carrier: '0', operstate: 'down' });
  t.same(await at(t0 + 2000), { speed: 12_500_000, duplex: 'half' }, 'a state change reads the link mode again');
  write({ speed: '10000', duplex: 'full' });
  t.same(await at(t0 + 2000 + linkRefreshMs - 1), { speed: 12_500_000, duplex: 'half' });
  t.same(await at(t0 + 2000 + linkRefreshMs), { speed: 1_250_000_000, duplex: 'full' }, 'read again after linkRefreshMs while the state holds');
});
