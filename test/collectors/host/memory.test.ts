import t from 'tap';
import { meminfoCollector, meminfoName, parseMeminfo } from '../../../agent/collectors/host/meminfo';
import { parseVmstat, vmstatCollector } from '../../../agent/collectors/host/vmstat';
import { collectContext } from './fixture';

t.test('meminfo names follow node_exporter: (anon) → _anon, kB → _bytes, unitless stays bare', async (t) => {
  t.equal(meminfoName('Active(anon)', 'kB'), 'Active_anon_bytes');
  t.equal(meminfoName('Inactive(file)', 'kB'), 'Inactive_file_bytes');
  t.equal(meminfoName('HugePages_Total', undefined), 'HugePages_Total');
  t.equal(meminfoName('Committed_AS', 'kB'), 'Committed_AS_bytes');
  const m = parseMeminfo('MemTotal:       24683656 kB\nActive(anon):       1552 kB\nHugePages_Total:       0\n');
  t.same(
    [...m],
    [
      ['MemTotal_bytes', 24683656 * 1024],
      ['Active_anon_bytes', 1552 * 1024],
      ['HugePages_Total', 0],
    ],
  );
});

t.test('garbled meminfo lines are skipped and reported, the rest is kept', async (t) => {
  const issues: string[] = [];
  const m = parseMeminfo('MemTotal: 100 kB\nnonsense\nMemFree: lots kB\nCached: 5 kB', issues);
  t.same([...m.keys()], ['MemTotal_bytes', 'Cached_bytes']);
  t.equal(issues.length, 2);
});

t.test('meminfo collector over the fixture host', async (t) => {
  const fams = await meminfoCollector().collect(collectContext());
  const total = fams.find((f) => f.name === 'node_memory_MemTotal_bytes');
  t.equal(total?.type, 'gauge');
  t.equal(total?.help, 'Memory information field MemTotal_bytes.');
  t.ok(fams.find((f) => f.name === 'node_memory_Active_anon_bytes'));
});

t.test('vmstat keeps node_exporter default fields only', async (t) => {
  const m = parseVmstat('nr_free_pages 5\npgpgin 10\npgfault 20\npgmajfault 2\npswpin 0\noom_kill 1\npgsteal_kswapd 9\n');
  t.equal(m.size, 7);
  // The plain "name 123" lines and the others (tabs, spaces, signs, exponents, garbage) give what the general check gives.
  const issues: string[] = [];
  const mixed = parseVmstat('a 1\nb\t2\n  c 3\nd  4\ne -5\nf 1e3\ng 0x10\nh-i 6\nj 7 8\nk\nl \n', issues);
  t.same(
    [...mixed],
    [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
      ['e', -5],
      ['f', 1000],
      ['g', 16],
    ],
  );
  t.equal(issues.length, 4, 'h-i, "j 7 8", "k", "l"');
  const kept: string[] = [];
  t.same(
    [...parseVmstat('a 1\nb\t2\nc 3\nd x\n', kept, (n) => n !== 'a')],
    [
      ['b', 2],
      ['c', 3],
    ],
    'keep selects names; the rest is still checked',
  );
  t.equal(kept.length, 1);
  const fams = await vmstatCollector().collect(collectContext());
  const names = fams.map((f) => f.name).sort();
  t.ok(names.includes('node_vmstat_pgfault'));
  t.ok(names.includes('node_vmstat_oom_kill'));
  t.notOk(names.includes('node_vmstat_nr_free_pages'));
  t.ok(fams.every((f) => f.type === 'untyped'));
  const narrowed = await vmstatCollector().collect(collectContext({}, { 'collectors.vmstat.fields': '^pgpgin$' }));
  t.same(
    narrowed.map((f) => f.name),
    ['node_vmstat_pgpgin'],
  );
  const again = vmstatCollector();
  const first = await again.collect(collectContext());
  t.same(await again.collect(collectContext()), first, 'the names selected once are selected the same way next time');
});
