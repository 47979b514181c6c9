import t from 'tap';
import { checkMappings, Mapper } from '../../../agent/collectors/statsd/mapping';
import { checkListenUrls, parseListenUrl } from '../../../agent/collectors/statsd/listen';
import { addressToProcHex, dropsFor, parseProcNetUdp } from '../../../agent/collectors/statsd/kernel-drops';

t.test('statsd.listen URLs', async (t) => {
  t.match(parseListenUrl('udp://127.0.0.1:8125'), { kind: 'udp', host: '127.0.0.1', port: 8125, family: 4 });
  t.match(parseListenUrl('udp://[::1]:8125'), { kind: 'udp', host: '::1', family: 6 });
  t.match(parseListenUrl('unix:///var/run/datadog/dsd.socket'), { kind: 'unix', path: '/var/run/datadog/dsd.socket' });
  t.match(checkListenUrls(['tcp://x:1', 'unix://relative']), /expected udp:\/\/HOST:PORT.*absolute path/);
  t.equal(checkListenUrls(['udp://0.0.0.0:8125']), undefined);
});

t.test('mapping validation reports every problem with the rule number', async (t) => {
  t.equal(checkMappings([{ match: 'a.*', name: 'a', labels: { x: '$1' } }]), undefined);
  const msg = checkMappings([
    { match: '(', match_type: 'regex' },
    { name: 'bad name', labels: { 'bad-label': 1 }, bogus: 1 },
    { match: 'x', buckets: [2, 1] },
  ]);
  t.match(msg, /rule 1: "match" is not a valid regular expression/);
  t.match(msg, /rule 2: unknown field "bogus"/);
  t.match(msg, /rule 2: "match" must be a non-empty string/);
  t.match(msg, /rule 2: "name" "bad name" is not a valid Prometheus metric name/);
  t.match(msg, /rule 2: label name "bad-label"/);
  t.match(msg, /rule 3: "buckets" must be a list of increasing numbers/);
  t.match(checkMappings({}), /a list of mapping rules/);
});

t.test('mapper: glob parts, regex captures, first match wins', async (t) => {
  const m = new Mapper([
    { match: 'a.*.b', name: 'ab_${1}', labels: { p: '$1' } },
    { match: 'a.*.*', name: 'a_any' },
  ]);
  t.match(m.map('a.x.b'), { name: 'ab_x', labels: { p: 'x' } });
  t.match(m.map('a.x.c'), { name: 'a_any' });
  t.equal(m.map('a.x.y.b'), null, '* does not cross dots');
});

t.test('kernel drop counters from /proc/net/udp', async (t) => {
  const text = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
    '  123: 0100007F:1FBD 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 4242 2 0000000000000000 17',
    '  124: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 3',
  ].join('\n');
  const rows = parseProcNetUdp(text);
  t.equal(rows.length, 2);
  t.match(rows[0], { port: 8125, inode: 4242, rxQueue: 0xa00, drops: 17 });
  t.equal(dropsFor(rows, '127.0.0.1', 8125, 4), 17);
  t.equal(dropsFor(rows, '127.0.0.1', 53, 4), 0);
  t.equal(addressToProcHex('::1', 6), '00000000000000000000000001000000');
});
