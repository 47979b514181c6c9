import t from 'tap';
import { majorMinor, parseOsRelease } from '../../../agent/collectors/host/os';
import { parseSoftnet } from '../../../agent/collectors/host/softnet';
import { parseUdpQueues } from '../../../agent/collectors/host/udp-queues';

t.test('softnet: hex counters; the CPU column when the kernel writes it, else the row', async (t) => {
  const z = ' 00000000'.repeat(9);
  const rows = parseSoftnet(`0000000a 00000001 00000002${z} 00000000 00000000 00000000\n0000000b 00000000 00000000${z} 00000003 00000000 00000000\n`);
  t.same(rows, [
    { cpu: '0', processed: 10, dropped: 1, timesSqueezed: 2 },
    { cpu: '3', processed: 11, dropped: 0, timesSqueezed: 0 },
  ]);
  t.same(parseSoftnet('00000005 00000000 00000001\n00000006 00000000 00000000\n').map((r) => r.cpu), ['0', '1'], 'old kernels: by row');
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
