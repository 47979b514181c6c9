import t from 'tap';
import { majorMinor, parseOsRelease } from '../../../agent/collectors/host/os';
import { parseSoftnet } from '../../../agent/collectors/host/softnet';
import { parseUdpQueues } from '../../../agent/collectors/host/udp-queues';
import { parseArp } from '../../../agent/collectors/host/arp';
import { thermalZoneCollector } from '../../../agent/collectors/host/thermal-zone';
import { collectContext } from './fixture';

t.test('softnet: hex counters; the CPU column when the kernel writes it, else the row', async (t) => {
  const z = ' 00000000'.repeat(9);
  const rows = parseSoftnet(`0000000a 00000001 00000002${z} 00000000 00000000 00000000\n0000000b 00000000 00000000${z} 00000003 00000000 00000000\n`);
  t.same(rows, [
    { cpu: '0', processed: 10, dropped: 1, timesSqueezed: 2 },
    { cpu: '3', processed: 11, dropped: 0, timesSqueezed: 0 },
  ]);
  t.same(
    parseSoftnet('00000005 00000000 00000001\n00000006 00000000 00000000\n').map((r) => r.cpu),
    ['0', '1'],
    'old kernels: by row',
  );
  const issues: string[] = [];
  t.equal(parseSoftnet('zz 1\n', issues).length, 0);
  t.equal(issues.length, 1);
});

t.test('udp queues: tx_queue:rx_queue summed over sockets', async (t) => {
  const q = parseUdpQueues(
    '  sl  local_address rem_address   st tx_queue rx_queue tr\n   1: 0100007F:EDD8 00000000:0000 07 00000010:00000200 00:00000000\n   2: 0100007F:EDD9 00000000:0000 07 00000001:00000001 00:00000000\n',
  );
  t.same(q, { tx: 0x11, rx: 0x201 });
});

t.test('os-release: quoting, comments, major.minor', async (t) => {
  const r = parseOsRelease('# comment\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\'Ubuntu 22.04.3 LTS\'\nX="a \\"q\\""\n');
  t.equal(r.get('NAME'), 'Ubuntu');
  t.equal(r.get('PRETTY_NAME'), 'Ubuntu 22.04.3 LTS');
  t.equal(r.get('X'), 'a "q"');
  t.equal(majorMinor('22.04.3'), 22.04);
  t.equal(majorMinor('12'), 12);
  t.equal(majorMinor('rolling'), undefined);
});

t.test('arp entries per device', async (t) => {
  const issues: string[] = [];
  const m = parseArp(
    'IP address HW type Flags HW address Mask Device\n10.0.0.1 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n10.0.0.2 0x1 0x2 aa:bb:cc:dd:ee:01 * eth0\n10.1.0.1 0x1 0x0 00:00:00:00:00:00 * br0\nbroken\n',
    issues,
  );
  t.same(
    [...m],
    [
      ['eth0', 2],
      ['br0', 1],
    ],
  );
  t.equal(issues.length, 1);
});

t.test('thermal zones: millidegrees → °C, silent sensors left out, cooling devices', async (t) => {
  const fams = await thermalZoneCollector().collect(collectContext());
  const by = Object.fromEntries(fams.map((f) => [f.name, f.samples]));
  t.same(by.node_thermal_zone_temp, [
    { labels: { type: 'acpitz', zone: '0' }, value: 27.8 },
    { labels: { type: 'x86_pkg_temp', zone: '1' }, value: 45.5 },
  ]);
  t.equal(by.node_cooling_device_max_state?.length, 2);
});

t.test('one /proc/net/udp parser: queues for udp_queues, drops for StatsD, garbled lines noted', async (t) => {
  const { parseProcNetUdp } = await import('../../../agent/collectors/proc-net-udp');
  const issues: string[] = [];
  const rows = parseProcNetUdp(
    [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  1: 0100007F:1FBD 00000000:0000 07 00000010:00000200 00:00000000 00000000     0        0 4242 2 0000000000000000 17',
      '  2: 0100007F:EDD9 00000000:0000 07 00000001:00000001 00:00000000',
      '  3: garbage',
      '',
    ].join('\n'),
    issues,
  );
  t.same(
    rows.map((r) => [r.port, r.txQueue, r.rxQueue, r.drops]),
    [
      [8125, 0x10, 0x200, 17],
      [0xedd9, 1, 1, undefined],
    ],
  );
  t.equal(issues.length, 1, 'the garbage line is noted');
  t.same(parseUdpQueues('header\n  3: garbage\n', []), { tx: 0, rx: 0 });
});

t.test('softirqs: one counter per CPU and type; a short row is noted and skipped', async (t) => {
  const { parseSoftirqs } = await import('../../../agent/collectors/host/softirqs');
  const issues: string[] = [];
  const rows = parseSoftirqs('   CPU0  CPU2\n  HI:  1  2\n  TIMER: 5\n  RCU: 7 8\n', issues);
  t.same(
    rows.map((r) => [r.type, r.counts]),
    [
      [
        'HI',
        [
          { cpu: '0', value: 1 },
          { cpu: '2', value: 2 },
        ],
      ],
      [
        'RCU',
        [
          { cpu: '0', value: 7 },
          { cpu: '2', value: 8 },
        ],
      ],
    ],
  );
  t.equal(issues.length, 1);
  t.throws(() => parseSoftirqs('garbage\n'));
});

t.test('schedstat: cpu lines only, nanoseconds → seconds; a short cpu line is noted', async (t) => {
  const { parseSchedstat } = await import('../../../agent/collectors/host/schedstat');
  const issues: string[] = [];
  const cpus = parseSchedstat('version 15\ncpu0 0 0 0 0 0 0 2000000000 500000000 7\ndomain0 3 1 2\ncpu1 1 2\n', issues);
  t.same(cpus, [{ cpu: '0', runningNs: 2e9, waitingNs: 5e8, timeslices: 7 }]);
  t.equal(issues.length, 1);
});

t.test('kernel_hung: one counter; garbage is an error', async (t) => {
  const { parseHungCount } = await import('../../../agent/collectors/host/kernel-hung');
  t.equal(parseHungCount('3\n'), 3);
  t.throws(() => parseHungCount('x\n'));
  t.throws(() => parseHungCount('-1\n'));
});
