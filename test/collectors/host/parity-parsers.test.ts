/** The parsers of the collectors node_exporter has and the agent added for parity, on literal input. */
import t from 'tap';
import { chipName, cleanName, explodeSensorFile, groupSensorFiles, hwmonFamilies } from '../../../agent/collectors/host/hwmon';
import { nfsFamilies } from '../../../agent/collectors/host/nfs';
import { nfsdFamilies } from '../../../agent/collectors/host/nfsd';
import { parseMdstat } from '../../../agent/collectors/host/mdadm';
import { splitZoneName } from '../../../agent/collectors/host/rapl';
import { parseXfsStats } from '../../../agent/collectors/host/xfs';
import { powerSupplyFamilies } from '../../../agent/collectors/host/powersupplyclass';
import { dmiFamilies } from '../../../agent/collectors/host/dmi';
import { goFloat, goUintBase0 } from '../../../agent/collectors/host/sysfs-attrs';
import type { FamilySamples } from '../../../agent/store/types';

const value = (fams: FamilySamples[], name: string, labels: Record<string, string> = {}) =>
  fams.find((f) => f.name === name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

t.test('numbers as Go reads sysfs: no padding, no hex unless asked', async (t) => {
  t.equal(goFloat('42000'), 42000);
  t.equal(goFloat('-1.5e3'), -1500);
  t.equal(goFloat(' 42'), undefined);
  t.equal(goFloat('0x10'), undefined);
  t.equal(goFloat(''), undefined);
  t.equal(goUintBase0('0x1f'), 31);
  t.equal(goUintBase0('017'), 15);
  t.equal(goUintBase0('-1'), undefined);
});

t.test('hwmon: sensor file names, chip names, units', async (t) => {
  t.same(explodeSensorFile('temp1_crit_alarm'), { type: 'temp', num: 1, property: 'crit_alarm' });
  t.same(explodeSensorFile('update_interval'), { type: 'update_interval', num: 0, property: '' });
  t.same(explodeSensorFile('pwm2'), { type: 'pwm', num: 2, property: '' });
  t.equal(explodeSensorFile('1abc'), undefined);
  t.equal(cleanName('  Package id 0\n'), 'package_id_0');
  t.equal(chipName('/sys/devices/platform/coretemp.0', 'coretemp', '/sys/devices/platform/coretemp.0/hwmon/hwmon1'), 'platform_coretemp_0');
  t.equal(chipName(undefined, 'acpitz', '/sys/devices/virtual/hwmon/hwmon0'), 'acpitz');
  t.equal(chipName(undefined, '', '/sys/devices/virtual/hwmon/hwmon3'), 'hwmon3');
  const sensors = groupSensorFiles([
    ['temp1_input', '45500'],
    ['temp1_label', 'Core 0'],
    ['in0_input', '1200'],
    ['fan1_input', '900'],
    ['fan1_div', '4'],
    ['power1_average', '2500000'],
    ['energy1_input', '3000000'],
    ['temp2_input', 'garbage'],
    ['name', 'ignored'],
    ['uevent', 'ignored'],
  ]);
  const fams = hwmonFamilies([{ chip: 'c', chipName: 'chip', sensors }]);
  t.equal(value(fams, 'node_hwmon_temp_celsius', { sensor: 'temp1' }), 45.5);
  t.equal(value(fams, 'node_hwmon_sensor_label', { sensor: 'temp1', label: 'Core 0' }), 1);
  t.equal(value(fams, 'node_hwmon_in_volts', { sensor: 'in0' }), 1.2);
  t.equal(value(fams, 'node_hwmon_fan_rpm'), 900);
  t.equal(value(fams, 'node_hwmon_fan_div'), 4, 'unknown elements are passed through');
  t.equal(value(fams, 'node_hwmon_power_average_watt'), 2.5);
  t.equal(value(fams, 'node_hwmon_energy_joule_total'), 3);
  t.equal(value(fams, 'node_hwmon_temp_celsius', { sensor: 'temp2' }), undefined, 'a value that is not a number is left out');
  t.equal(value(fams, 'node_hwmon_chip_names', { chip: 'c', chip_name: 'chip' }), 1);
});

t.test('nfs: positions by protocol version; short v4 lines read as zero; a line that lies about its length is left out', async (t) => {
  const issues: string[] = [];
  const fams = nfsFamilies('net 10 1 9 2\nrpc 100 3 4\nproc3 22 ' + Array.from({ length: 22 }, (_, i) => i).join(' ') + '\nproc4 3 7 8 9\nproc2 5 1 2\n', issues);
  t.equal(value(fams, 'node_nfs_packets_total', { protocol: 'tcp' }), 9);
  t.equal(value(fams, 'node_nfs_connections_total'), 2);
  t.equal(value(fams, 'node_nfs_rpc_retransmissions_total'), 3);
  t.equal(value(fams, 'node_nfs_requests_total', { proto: '3', method: 'Commit' }), 21);
  t.equal(value(fams, 'node_nfs_requests_total', { proto: '4', method: 'Write' }), 9);
  t.equal(value(fams, 'node_nfs_requests_total', { proto: '4', method: 'Clone' }), 0);
  t.equal(value(fams, 'node_nfs_requests_total', { proto: '2', method: 'Null' }), undefined);
  t.match(issues.join(), /proc2 announces 5 counts, has 2/);
});

t.test('nfsd: NFSv4 operations at their operation numbers; unknown lines ignored', async (t) => {
  const ops = Array.from({ length: 72 }, (_, i) => 1000 + i); // count i+1 is op i
  const issues: string[] = [];
  const fams = nfsdFamilies(`rc 1 2 3\nth 8 0 0.000 0.000\nrpc 10 1 2 3 4\nproc4ops 72 ${ops.join(' ')}\nwdeleg_getattr 15\n`, issues);
  t.equal(value(fams, 'node_nfsd_requests_total', { proto: '4', method: 'Access' }), 1003);
  t.equal(value(fams, 'node_nfsd_requests_total', { proto: '4', method: 'Verify' }), 1037);
  t.equal(value(fams, 'node_nfsd_requests_total', { proto: '4', method: 'Write' }), 1038);
  t.equal(value(fams, 'node_nfsd_requests_total', { proto: '4', method: 'RelLockOwner' }), 1039);
  t.equal(value(fams, 'node_nfsd_server_threads'), 8);
  t.equal(value(fams, 'node_nfsd_rpc_errors_total', { error: 'cInt' }), 4);
  t.equal(value(fams, 'node_nfsd_disk_bytes_read_total'), 0, 'an absent line reads as zero');
  t.same(issues, []);
});

t.test('mdstat: states, members, progress', async (t) => {
  const devs = parseMdstat(`Personalities : [raid1]
md3 : active (auto-read-only) raid1 sda1[0] sdb1[1](S)
      1024 blocks super 1.2 [1/1] [U]
      bitmap: 0/1 pages [0KB], 65536KB chunk
      [>....................]  resync =  1.0% (10/1024) finish=1.0min speed=1K/sec

md4 : active raid1 sdc1[0]
      2048 blocks [2/1] [U_]
        resync=DELAYED

unused devices: <none>
`);
  t.same(
    devs.map((d) => [d.name, d.state, d.disksActive, d.disksTotal, d.disksSpare, d.blocksTotal, d.blocksSynced]),
    [
      ['md3', 'resync', 1, 1, 1, 1024, 10],
      ['md4', 'resync', 1, 2, 0, 2048, 0],
    ],
  );
});

t.test('rapl zone names', async (t) => {
  t.same(splitZoneName('package-1'), { name: 'package', index: 1 });
  t.same(splitZoneName('core'), { name: 'core', index: undefined });
});

t.test('xfs: groups by position; a short group is noted and left out', async (t) => {
  const issues: string[] = [];
  const m = parseXfsStats('rw 5 6\ndir 1 2 3\nxpc 1 2 3\n', issues, 'sda');
  t.equal(m.get('write_calls_total'), 5);
  t.equal(m.get('read_calls_total'), 6);
  t.equal(m.has('directory_operation_lookup_total'), false);
  t.equal(issues.length, 1);
});

t.test('power supplies: units, info labels, garbage noted', async (t) => {
  const issues: string[] = [];
  const fams = powerSupplyFamilies(
    new Map([
      [
        'BAT0',
        new Map([
          ['voltage_now', '12000000'],
          ['temp', '315'],
          ['capacity', 'x'],
          ['status', 'Full'],
          ['health', ''],
        ]),
      ],
    ]),
    issues,
  );
  t.equal(value(fams, 'node_power_supply_voltage_volt'), 12);
  t.equal(value(fams, 'node_power_supply_temp_celsius'), 31.5);
  t.equal(value(fams, 'node_power_supply_capacity'), undefined);
  t.same(fams.find((f) => f.name === 'node_power_supply_info')?.samples[0]?.labels, { power_supply: 'BAT0', status: 'Full' });
  t.equal(issues.length, 1);
});

t.test('dmi: only readable attributes become labels; none, no series', async (t) => {
  t.same(dmiFamilies(new Map()), []);
  t.same(
    dmiFamilies(
      new Map([
        ['sys_vendor', 'QEMU'],
        ['board_asset_tag', ''],
      ]),
    )[0]?.samples[0]?.labels,
    { board_asset_tag: '', system_vendor: 'QEMU' },
  );
});

t.test('fibrechannel counters: hex or decimal; all ones means unsupported', async (t) => {
  const { parseFcCounter } = await import('../../../agent/collectors/host/fibrechannel');
  t.equal(parseFcCounter('0x768'), 0x768);
  t.equal(parseFcCounter('31'), 31);
  t.equal(parseFcCounter('0xffffffffffffffff'), undefined);
  const issues: string[] = [];
  t.equal(parseFcCounter('n/a', issues, 'host0/x'), undefined);
  t.equal(issues.length, 1);
});

t.test('zfs kstats: the named table after its header; io columns; values that are not counts left out', async (t) => {
  const { parseKstat, parseKstatIo } = await import('../../../agent/collectors/host/zfs');
  const kv = parseKstat(
    '6 1 0x01 91 4368 5266997922 97951858082072\nname                            type data\nhits                            4    8772612\ndataset_name                    7    tank/my data\n',
  );
  t.equal(kv.get('hits'), '8772612');
  t.equal(kv.get('dataset_name'), 'tank/my data');
  const issues: string[] = [];
  t.equal(parseKstat('no header\n', issues).size, 0);
  t.equal(issues.length, 1);
  const io = parseKstatIo('12 3 0x00 1 80 1 2\nnread nwritten reads\n10 20 x\n');
  t.same(
    [...io],
    [
      ['nread', 10],
      ['nwritten', 20],
    ],
  );
});

t.test('ipvs: hex totals; services and backends with Go-formatted addresses; equal label sets summed', async (t) => {
  const { parseIpvsStats, parseIpvs, formatAddress, ipvsFamilies } = await import('../../../agent/collectors/host/ipvs');
  t.same(parseIpvsStats('h1\nh2\n 10 FF 0 100 1\n'), { connections: 16, incomingPackets: 255, outgoingPackets: 0, incomingBytes: 256, outgoingBytes: 1 });
  t.equal(parseIpvsStats('h1\nh2\n 10 FF\n'), undefined);
  t.equal(formatAddress('C0A80016'), '192.168.0.22');
  t.equal(formatAddress('[2620:0000:0000:0000:0000:0000:0000:0001]'), '2620::1');
  t.equal(formatAddress('zz'), undefined);
  const backends = parseIpvs(
    'v\nh\nh\nTCP  C0A80016:0CEA wlc\n  -> C0A85216:0CEA      Tunnel  100    248        2\n  -> C0A85216:0CEA      Tunnel  100    2        2\nFWM  10001000 wlc\n  -> C0A8321A:0CEA      Route   0      0          120\n',
  );
  t.same(backends[0]?.labels, { proto: 'TCP', local_address: '192.168.0.22', local_port: '3306', local_mark: '', remote_address: '192.168.82.22', remote_port: '3306' });
  t.equal(backends[2]?.labels.local_mark, '10001000');
  const fams = ipvsFamilies({ connections: 0, incomingPackets: 0, outgoingPackets: 0, incomingBytes: 0, outgoingBytes: 0 }, backends);
  t.equal(value(fams, 'node_ipvs_backend_connections_active', { proto: 'TCP' }), 250, 'duplicates summed');
  t.equal(fams.find((f) => f.name === 'node_ipvs_backend_weight')?.samples.length, 2);
});

t.test('tape and nvme families', async (t) => {
  const { tapeFamilies } = await import('../../../agent/collectors/host/tapestats');
  const fams = tapeFamilies([
    [
      'st0',
      new Map([
        ['io_ns', 2_500_000_000],
        ['in_flight', 1],
      ]),
    ],
  ]);
  t.equal(value(fams, 'node_tape_io_time_seconds_total'), 2.5);
  t.equal(value(fams, 'node_tape_io_now'), 1);
  t.equal(fams.length, 2, 'only what the device has');
});

t.test('selinux: enabled only when selinuxfs answers; modes from the enforce file and the config', async (t) => {
  const { selinuxFamilies, parseSelinuxConfig } = await import('../../../agent/collectors/host/selinux');
  t.same(
    selinuxFamilies(undefined, undefined).map((f) => [f.name, f.samples[0]?.value]),
    [['node_selinux_enabled', 0]],
  );
  const on = selinuxFamilies('0', '# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n');
  t.equal(value(on, 'node_selinux_enabled'), 1);
  t.equal(value(on, 'node_selinux_current_mode'), 0);
  t.equal(value(on, 'node_selinux_config_mode'), 1);
  t.equal(parseSelinuxConfig('SELINUX=disabled\n'), -1);
  t.equal(parseSelinuxConfig('SELINUX="permissive"\n'), 0);
  t.equal(parseSelinuxConfig(undefined), -1);
});

t.test('infiniband: state ids and rates', async (t) => {
  const { parseStateId, parseIbRate } = await import('../../../agent/collectors/host/infiniband');
  t.equal(parseStateId('4: ACTIVE'), 4);
  t.equal(parseStateId('ACTIVE'), undefined);
  t.equal(parseIbRate('100 Gb/sec (4X EDR)'), 12.5e9);
  t.equal(parseIbRate('2.5 Gb/sec (1X SDR)'), 312_500_000);
  t.equal(parseIbRate('10 Mb/sec'), undefined);
});

t.test('btrfs allocation ratios by profile', async (t) => {
  const { allocationRatio } = await import('../../../agent/collectors/host/btrfs');
  t.equal(allocationRatio('single', 1), 1);
  t.equal(allocationRatio('raid1', 2), 2);
  t.equal(allocationRatio('raid1c3', 3), 3);
  t.equal(allocationRatio('raid5', 4), 4 / 3);
  t.equal(allocationRatio('raid6', 4), 2);
  t.equal(allocationRatio('mystery', 4), 0);
});

t.test('bcache human-readable sizes, as the kernel rounded them', async (t) => {
  const { dehumanize, parseWritebackRateDebug } = await import('../../../agent/collectors/host/bcache');
  t.equal(dehumanize('512'), 512);
  t.equal(dehumanize('4.5M'), 4 * 2 ** 20 + 512_000);
  t.equal(dehumanize('20.4G'), 20 * 2 ** 30 + 419_430_400);
  t.equal(dehumanize('790.0k'), 808_960);
  t.equal(dehumanize('-2.1k'), -(2048 + 100));
  t.equal(dehumanize('1.5'), undefined);
  t.equal(dehumanize('lots'), undefined);
  const wb = parseWritebackRateDebug('rate:\t\t1.1M/sec\ndirty:\t\t20.4G\nchange:\t\t-321.5k/sec\nnext io:\t17ms\n');
  t.equal(wb.get('rate'), 1_150_976);
  t.equal(wb.get('change'), -329_204);
  t.equal(wb.has('next io'), false);
});
