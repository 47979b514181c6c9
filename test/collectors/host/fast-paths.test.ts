import t from 'tap';
import { fields, fieldsInto, num, plainInt } from '../../../agent/collectors/host/text';
import { parseMeminfo } from '../../../agent/collectors/host/meminfo';
import { parseSnmp6 } from '../../../agent/collectors/host/netstat';
import { parsePressure } from '../../../agent/collectors/host/pressure';
import { parseSystemStat } from '../../../agent/collectors/host/stat';

// The parsers read the kernel's own line forms without splitting them; any other line goes through the general
// path. These check that both give what the general path alone gives, line forms the kernel does not print included.

t.test('fields splits as trim().split(/\\s+/)', async (t) => {
  const lines = ['', '   ', 'a', ' a  b\tc ', 'cpu0 1 2 3', '\u00a0x\u2003y\ufeff', 'a\u0085b', 'k=v  l=w\r', '\t\tintr 1 2 3\n'];
  for (const l of lines) {
    const want = l.trim() === '' ? [] : l.trim().split(/\s+/);
    t.same(fields(l), want, JSON.stringify(l));
    t.same(fieldsInto(l, ['stale'], 2), want.slice(0, 2), `${JSON.stringify(l)}, the first two`);
  }
});

t.test('plainInt reads what Number reads, or nothing', async (t) => {
  for (const s of ['0', '-0', '007', '123456789012345', '1234567890123456', '-12', '+1', '1.5', '1e3', '', '-', ' 1', '0x10']) {
    const v = plainInt(s, 0, s.length);
    if (v !== undefined) t.ok(Object.is(v, num(s)), `${s} → ${v}`);
    else t.pass(`${s}: general path`);
  }
  t.equal(plainInt('x123y', 1, 4), 123);
});

t.test('meminfo: the kernel form and others', async (t) => {
  const text = ['MemTotal:       16318440 kB', 'HugePages_Total:       0', 'Odd:   12 MB', 'Neg: -4 kB', 'Float: 1.5 kB', 'Trail: 3 kB x', 'Sp:\t7\tkB', 'Bad: x kB', 'NoColon 5'].join('\n');
  const issues: string[] = [];
  const m = parseMeminfo(text, issues);
  t.same(
    [...m],
    [
      ['MemTotal_bytes', 16318440 * 1024],
      ['HugePages_Total', 0],
      ['Odd', 12],
      ['Neg_bytes', -4096],
      ['Float_bytes', 1.5 * 1024],
      ['Sp_bytes', 7 * 1024],
    ],
  );
  t.equal(issues.length, 3, 'Trail, Bad and NoColon are issues');
});

t.test('snmp6: the kernel form and others', async (t) => {
  const text = ['Ip6InReceives                   \t123', 'Icmp6InMsgs 4', 'Udp6InErrors 1.5', ' Ip6Lead 7', 'NoSix 3', 'Ip6Three 1 2', 'Ip6Alone'].join('\n');
  const issues: string[] = [];
  t.same(
    [...parseSnmp6(text, issues)],
    [
      ['Ip6_InReceives', 123],
      ['Icmp6_InMsgs', 4],
      ['Udp6_InErrors', 1.5],
      ['Ip6_Lead', 7],
    ],
  );
  t.equal(issues.length, 3, 'NoSix, Ip6Three and Ip6Alone are issues');
});

t.test('stat: only the key and first value of each line are read', async (t) => {
  const text = ['cpu  1 2 3', 'intr 1000 1 2 3 4 5', 'ctxt 99', 'btime 1700000000', 'processes x', 'procs_running 2 extra', 'softirq 5 1 1'].join('\n');
  const issues: string[] = [];
  t.same(parseSystemStat(text, issues), { interrupts: 1000, contextSwitches: 99, bootTime: 1700000000, procsRunning: 2 });
  t.equal(issues.length, 1, 'processes x is an issue');
});

t.test('pressure: pairs read in place, the last of a key winning', async (t) => {
  const issues: string[] = [];
  const psi = parsePressure(['some avg10=0.12 avg60=1.00 avg300=2 total=1234567', 'full avg10=0 avg60=0 avg300=0 total=5 total=6 extra=1', 'none avg10=1'].join('\n'), issues);
  t.same(psi, { some: { avg10: 0.12, avg60: 1, avg300: 2, totalSeconds: 1.234567 }, full: { avg10: 0, avg60: 0, avg300: 0, totalSeconds: 6e-6 } });
  t.equal(issues.length, 1);
  const bad: string[] = [];
  t.same(parsePressure('some avg10=1 avg60=1 avg300=1 total=5 total\nfull avg10=1 avg60=1=2 avg300=x total=1', bad), {}, 'a key without a value, and a value that is not a number');
  t.equal(bad.length, 2);
  t.same(parsePressure('some avg10=1 avg60=2=9 avg300=3 total=4'), { some: { avg10: 1, avg60: 2, avg300: 3, totalSeconds: 4e-6 } }, 'a value ends at its next "="');
});

t.test('vmstat: lines read in place, names reused from the text before, the same map as line by line', async (t) => {
  const { parseVmstat } = await import('../../../agent/collectors/host/vmstat');
  const texts = [
    'nr_free_pages 100\npgpgin 5\npgfault 1234567890123456789\n',
    'nr_free_pages 101\npgpgin 6\npgfault 7',
    'nr_free_pages 102\npgpgout 1\npgpgin 6 \n\n  lead 3\r\nbad x\nodd-name 4\npgfault\t8\r',
    'nr_free_pages 103\npgpgout 2\npgpgin 7\n',
  ];
  const want = [
    [
      ['nr_free_pages', 100],
      ['pgpgin', 5],
      ['pgfault', Number('1234567890123456789')],
    ],
    [
      ['nr_free_pages', 101],
      ['pgpgin', 6],
      ['pgfault', 7],
    ],
    [
      ['nr_free_pages', 102],
      ['pgpgout', 1],
      ['pgpgin', 6],
      ['lead', 3],
      ['pgfault', 8],
    ],
    [
      ['nr_free_pages', 103],
      ['pgpgout', 2],
      ['pgpgin', 7],
    ],
  ];
  const issueCounts = [0, 0, 2, 0];
  texts.forEach((text, i) => {
    const issues: string[] = [];
    t.same([...parseVmstat(text, issues)], want[i], `text ${i}`);
    t.equal(issues.length, issueCounts[i], `text ${i}: issues`);
  });
  t.same([...parseVmstat('pgpgin 1\npgfault 2\n', [], (n) => n === 'pgfault')], [['pgfault', 2]], 'keep');
});

t.test('readText and readTextRequired answer with a promise, an error as a rejection', async (t) => {
  const { readText, readTextRequired } = await import('../../../agent/collectors/host/text');
  const { NoDataError } = await import('../../../agent/collectors/collector');
  const { tmpdir } = await import('node:os');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(`${tmpdir()}/outrider-readtext-`);
  writeFileSync(`${dir}/f`, 'text\n');
  t.equal(await readText(`${dir}/f`), 'text\n');
  t.equal(await readTextRequired(`${dir}/f`), 'text\n');
  t.equal(await readText(`${dir}/missing`), undefined);
  let p: Promise<unknown> | undefined;
  t.doesNotThrow(() => (p = readText(dir)), 'a directory does not throw at the call');
  await t.rejects(p!, { code: 'EISDIR' });
  t.doesNotThrow(() => (p = readTextRequired(dir)));
  await t.rejects(p!, { code: 'EISDIR' });
  t.doesNotThrow(() => (p = readTextRequired(`${dir}/missing`)));
  await t.rejects(p!, NoDataError);
});
