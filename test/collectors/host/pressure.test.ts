import t from 'tap';
import { join } from 'node:path';
import { NoDataError } from '../../../agent/collectors/collector';
import { parsePressure, pressureCollector } from '../../../agent/collectors/host/pressure';
import { collectContext, edgeFixtures } from './fixture';

t.test('some/full lines, total in µs → seconds', async (t) => {
  const p = parsePressure('some avg10=1.50 avg60=0.20 avg300=0.00 total=2500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1000\n');
  t.same(p.some, { avg10: 1.5, avg60: 0.2, avg300: 0, totalSeconds: 2.5 });
  t.equal(p.full?.totalSeconds, 0.001);
});

t.test('an old kernel without a cpu "full" line, and garbage', async (t) => {
  const issues: string[] = [];
  const p = parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=10\nfull avg10=x total=\nwhat\n', issues);
  t.ok(p.some);
  t.equal(p.full, undefined);
  t.equal(issues.length, 2);
});

t.test('collector: node_exporter names', async (t) => {
  const fams = await pressureCollector().collect(collectContext());
  t.same(fams.map((f) => f.name).sort(), [
    'node_pressure_cpu_stalled_seconds_total',
    'node_pressure_cpu_waiting_seconds_total',
    'node_pressure_io_stalled_seconds_total',
    'node_pressure_io_waiting_seconds_total',
    'node_pressure_memory_stalled_seconds_total',
    'node_pressure_memory_waiting_seconds_total',
  ]);
  t.equal(fams.find((f) => f.name === 'node_pressure_cpu_waiting_seconds_total')?.samples[0]?.value, 15);
});

t.test('a kernel without PSI: no data, not an error', async (t) => {
  await t.rejects(pressureCollector().collect(collectContext({ procfs: join(edgeFixtures, 'no-psi/proc') })), NoDataError);
});
