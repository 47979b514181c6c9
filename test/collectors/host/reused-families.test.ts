import t from 'tap';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScalarFamilies } from '../../../agent/collectors/collector';
import { meminfoCollector } from '../../../agent/collectors/host/meminfo';
import { Store } from '../../../agent/store/store';
import { collectContext } from './fixture';

t.test('a scalar family is made once and takes each round its value', async (t) => {
  const f = new ScalarFamilies(2);
  const a = f.family('node_x', 'X.', 'gauge', 1);
  t.same(a, { name: 'node_x', help: 'X.', type: 'gauge', samples: [{ labels: {}, value: 1 }] });
  t.equal(f.family('node_x', 'X.', 'gauge', 2), a, 'the same object');
  t.equal(a.samples[0]!.value, 2);
  const b = f.family('node_x', 'Other help.', 'gauge', 3);
  t.not(b, a, 'a new HELP is a new family');
  t.same(b, { name: 'node_x', help: 'Other help.', type: 'gauge', samples: [{ labels: {}, value: 3 }] });
  f.family('node_y', 'Y.', 'counter', 1);
  f.family('node_z', 'Z.', 'counter', 1);
  t.equal(f.family('node_z', 'Z.', 'counter', 5).samples[0]!.value, 5, 'past its bound the table starts over');
});

t.test('meminfo rounds with reused families write each round the values read', async (t) => {
  const proc = mkdtempSync(join(tmpdir(), 'outrider-meminfo-'));
  mkdirSync(proc, { recursive: true });
  const c = meminfoCollector();
  const store = new Store();
  const ctx = collectContext({ procfs: proc });
  const value = (name: string): number | undefined => [...(store.getFamily(name)?.series.values() ?? [])][0]?.value;
  writeFileSync(join(proc, 'meminfo'), 'MemTotal:       1000 kB\nHugePages_Total:       2\n');
  const first = await c.collect(ctx);
  store.replaceOwned('meminfo', first);
  t.equal(value('node_memory_MemTotal_bytes'), 1000 * 1024);
  t.equal(value('node_memory_HugePages_Total'), 2);
  writeFileSync(join(proc, 'meminfo'), 'MemTotal:       2000 kB\nHugePages_Total:       3\n');
  store.replaceOwned('meminfo', await c.collect(ctx));
  t.equal(value('node_memory_MemTotal_bytes'), 2000 * 1024);
  t.equal(value('node_memory_HugePages_Total'), 3);
  writeFileSync(join(proc, 'meminfo'), 'MemTotal:       3000 kB\n');
  store.replaceOwned('meminfo', await c.collect(ctx));
  t.equal(value('node_memory_MemTotal_bytes'), 3000 * 1024);
  t.equal(store.getFamily('node_memory_HugePages_Total'), undefined, 'a field gone from the file goes from the store');
});
