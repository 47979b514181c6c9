import t from 'tap';
import { conntrackCollector, parseConntrackStat } from '../../../agent/collectors/host/conntrack';
import { netdevCollector, parseNetDev } from '../../../agent/collectors/host/netdev';
import { netstatCollector, parseNetstatPairs, parseSnmp6 } from '../../../agent/collectors/host/netstat';
import { parseSockstat } from '../../../agent/collectors/host/sockstat';
import { collectContext } from './fixture';

const header =
  'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

t.test('netdev columns come from the header; interface names may contain odd characters', async (t) => {
  const d = parseNetDev(header + '    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0\nvlan@eth0.10: 5 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0\n');
  t.same(
    d.map((x) => x.device),
    ['lo', 'vlan@eth0.10'],
  );
  t.equal(d[0]!.stats.get('receive_bytes'), 100);
  t.equal(d[1]!.stats.get('transmit_bytes'), 6);
  t.equal(d[0]!.stats.size, 16);
});

t.test('netdev: a truncated record keeps what it has and is reported', async (t) => {
  const issues: string[] = [];
  const d = parseNetDev(header + '  eth0: 1 2 3\n  garbage line\n', issues);
  t.equal(d.length, 1);
  t.equal(d[0]!.stats.size, 3);
  t.equal(issues.length, 2);
});

t.test('netdev collector: every interface by default, include/exclude when set', async (t) => {
  const all = await netdevCollector().collect(collectContext());
  const devs = (fams: typeof all) => [...new Set(fams.flatMap((f) => f.samples.map((s) => s.labels.device)))].sort();
  t.same(devs(all), ['docker0', 'eth0', 'lo', 'veth4b2c1a7', 'wlan0']);
  t.equal(all.find((f) => f.name === 'node_network_receive_nohandler_total')?.samples.find((s) => s.labels.device === 'eth0')?.value, 7);
  const noVeth = await netdevCollector().collect(collectContext({}, { 'collectors.netdev.device_exclude': '^veth' }));
  t.notOk(devs(noVeth).includes('veth4b2c1a7'));
});

t.test('netstat pairs and snmp6', async (t) => {
  const m = parseNetstatPairs('Tcp: ActiveOpens InSegs\nTcp: 5 10\nUdp: InDatagrams\nUdp: 7\n');
  t.same(
    [...m],
    [
      ['Tcp_ActiveOpens', 5],
      ['Tcp_InSegs', 10],
      ['Udp_InDatagrams', 7],
    ],
  );
  const issues: string[] = [];
  const broken = parseNetstatPairs('Tcp: A B\nUdp: 1 2\nUdp: X\nUdp: 3\nIp: Forwarding\n', issues);
  t.same([...broken], [['Udp_X', 3]], 'resynchronises after a header without values');
  // Keys are made once per header line: a changed header (a new kernel field) gives its own keys.
  t.same(
    [...parseNetstatPairs('Tcp: ActiveOpens InSegs\nTcp: 6 11\n')],
    [
      ['Tcp_ActiveOpens', 6],
      ['Tcp_InSegs', 11],
    ],
  );
  t.same(
    [...parseNetstatPairs('Tcp: InSegs New\nTcp: 12 1\n')],
    [
      ['Tcp_InSegs', 12],
      ['Tcp_New', 1],
    ],
  );
  t.same([...parseNetstatPairs('Tcp: ActiveOpens InSegs\nTcp: 7\n')], [['Tcp_ActiveOpens', 7]], 'fewer values than names');
  const checked: string[] = [];
  const only = (k: string): boolean => k.endsWith('InSegs');
  t.same([...parseNetstatPairs('Tcp: ActiveOpens InSegs\nTcp: 8 -13\nUdp: A\nUdp: x\n', checked, only)], [['Tcp_InSegs', -13]], 'keep selects keys');
  t.equal(checked.length, 2, 'the unselected lines are still checked');
  t.same([...parseSnmp6('Ip6InSegs 4\nIp6Out 5\n', [], only)], [['Ip6_InSegs', 4]]);
  t.equal(issues.length, 2);
  t.ok(issues.length >= 1);
  t.same(
    [...parseSnmp6('Ip6InOctets  \t 12\nUdpLite6InErrors 0\nIcmp6OutMsgs 3\n')],
    [
      ['Ip6_InOctets', 12],
      ['UdpLite6_InErrors', 0],
      ['Icmp6_OutMsgs', 3],
    ],
  );
});

t.test('netstat collector applies the default field regex', async (t) => {
  const fams = await netstatCollector().collect(collectContext());
  const names = fams.map((f) => f.name);
  t.ok(names.includes('node_netstat_Tcp_CurrEstab'));
  t.ok(names.includes('node_netstat_IpExt_InOctets'));
  t.ok(names.includes('node_netstat_Ip6_InOctets'));
  t.notOk(names.includes('node_netstat_Ip_DefaultTTL'));
  t.equal(fams.find((f) => f.name === 'node_netstat_Tcp_CurrEstab')?.help, 'Statistic TcpCurrEstab.');
});

t.test('sockstat: states, sockets_used, mem in pages → mem_bytes', async (t) => {
  const m = parseSockstat('sockets: used 229\nTCP: inuse 4 orphan 0 tw 4 alloc 17 mem 3\nFRAG: inuse 0 memory 0\n');
  t.equal(m.get('sockets_used'), 229);
  t.equal(m.get('TCP_mem'), 3);
  t.equal(m.get('TCP_mem_bytes'), 3 * 4096);
  t.equal(m.get('FRAG_memory'), 0);
  t.notOk(m.has('FRAG_memory_bytes'));
});

t.test('conntrack: hex per-CPU rows are summed by header column', async (t) => {
  const m = parseConntrackStat('entries found drop\n00000010 0000000a 00000001\n00000010 00000005 00000002\n');
  t.equal(m.get('found'), 15);
  t.equal(m.get('drop'), 3);
  const fams = await conntrackCollector().collect(collectContext());
  t.equal(fams.find((f) => f.name === 'node_nf_conntrack_stat_ignore')?.samples[0]?.value, 0x588a + 0x318e);
  t.equal(fams.find((f) => f.name === 'node_nf_conntrack_entries_limit')?.samples[0]?.value, 65536);
});
