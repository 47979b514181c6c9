/** core/prom-client: prom-client's classes and runtime metrics without the modules its index drags in. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import * as prom from 'prom-client';
import { collectRuntimeMetrics, Counter, Registry } from '../../agent/core/prom-client';

t.test("the classes are prom-client's own", async (t) => {
  t.equal(Registry, prom.Registry);
  t.equal(Counter, prom.Counter);
});

t.test('the runtime metrics are the ones collectDefaultMetrics registers, names and help alike', async (t) => {
  const ours = new Registry();
  collectRuntimeMetrics(ours);
  const theirs = new prom.Registry();
  prom.collectDefaultMetrics({ register: theirs });
  const shape = async (r: prom.Registry) => (await r.getMetricsAsJSON()).map((m) => `${m.name} ${m.type} ${m.help}`).sort();
  t.same(await shape(ours), await shape(theirs));
});

t.test('process CPU counters: total = user + system, and they grow with work', async (t) => {
  const r = new Registry();
  collectRuntimeMetrics(r);
  const read = async () => {
    const vals = Object.fromEntries((await r.getMetricsAsJSON()).filter((m) => m.name.startsWith('process_cpu_')).map((m) => [m.name, m.values[0]?.value ?? 0]));
    return vals as Record<string, number>;
  };
  const a = await read();
  const end = Date.now() + 50;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  t.ok(x > 0);
  const b = await read();
  t.ok(b.process_cpu_seconds_total! > a.process_cpu_seconds_total!, 'grows');
  t.ok(Math.abs(b.process_cpu_seconds_total! - (b.process_cpu_user_seconds_total! + b.process_cpu_system_seconds_total!)) < 1e-6, 'total = user + system');
});

t.test('loading it and registering the runtime metrics loads neither @opentelemetry/api nor the Pushgateway', async (t) => {
  const mod = join(__dirname, '..', '..', 'agent', 'core', 'prom-client.js');
  const code = `const m = require(${JSON.stringify(mod)}); m.collectRuntimeMetrics(new m.Registry());
    console.log(JSON.stringify(Object.keys(require.cache).filter((f) => /@opentelemetry|pushgateway|cluster/.test(f))))`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' })) as string[];
  t.same(loaded, []);
});

t.test('a counter cell increments its label set as inc() does, and again after a reset or a removal', async (t) => {
  const { CounterCell } = await import('../../agent/core/prom-client');
  const r = new Registry();
  const c = new Counter({ name: 'x_runs_total', help: 'x', labelNames: ['collector', 'result'], registers: [r] });
  const cell = new CounterCell(c, { collector: 'cpu', result: 'success' });
  const value = async (): Promise<number | undefined> => (await c.get()).values.find((v) => v.labels.collector === 'cpu' && v.labels.result === 'success')?.value;
  cell.inc();
  cell.inc();
  c.inc({ collector: 'cpu', result: 'success' }, 3);
  cell.inc(2);
  t.equal(await value(), 7, 'the same entry as inc() with those labels');
  c.inc({ collector: 'cpu', result: 'error' });
  t.equal((await c.get()).values.length, 2);
  c.reset();
  cell.inc();
  t.equal(await value(), 1, 'after a reset: counted from 0 in the new table');
  c.remove({ collector: 'cpu', result: 'success' });
  cell.inc(4);
  t.equal(await value(), 4, 'after a removal: the label set back');
  t.match(await r.metrics(), /^x_runs_total\{collector="cpu",result="success"\} 4$/m);
});
