import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { rig } from './fixture';

const fsLabels = { mountpoint: '/', device: '/dev/sda1', fstype: 'ext4' };
const avail = { name: 'node_filesystem_avail_bytes', help: 'h', type: 'gauge' as const };
const filesFree = { name: 'node_filesystem_files_free', help: 'h', type: 'gauge' as const };
const usage = { name: 'container_memory_working_set_bytes', help: 'h', type: 'gauge' as const };
const limit = { name: 'container_spec_memory_limit_bytes', help: 'h', type: 'gauge' as const };
const entries = { name: 'node_nf_conntrack_entries', help: 'h', type: 'gauge' as const };

// Noisy, falling (or rising) series: the least-squares line matters, not just the end points.
const availAt = (i: number) => 1e9 - 3e6 * i + ((i * 37) % 11) * 1e5;
const filesAt = (_i: number) => 500_000;
const usageAt = (i: number) => 2e8 + 1e6 * i + ((i * 13) % 7) * 3e5;
const LIMIT = 5e8;
const N = 100;
const WINDOW_S = 60;

async function run(): Promise<Awaited<ReturnType<typeof rig>>> {
  const r = await rig({ forecastWindowMs: WINDOW_S * 1000, forecastIntervalMs: 1000, forecastHorizonMs: 300_000 });
  for (let i = 0; i < N; i++) {
    r.store.set(avail, fsLabels, availAt(i));
    r.store.set(filesFree, fsLabels, filesAt(i));
    r.store.set(usage, { id: '/pod' }, usageAt(i));
    r.store.set(limit, { id: '/pod' }, LIMIT);
    r.store.set(limit, { id: '/unlimited' }, 2 ** 63);
    r.store.set(usage, { id: '/unlimited' }, usageAt(i));
    r.store.set(entries, {}, 100 + i);
    r.history.sample(r.store, i * 1000);
  }
  return r;
}

function forecast(r: Awaited<ReturnType<typeof rig>>, labels: Record<string, string>): number | undefined {
  return r.out.samples('outrider_forecast_seconds_until_full').find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

t.test('time to exhaustion: the least-squares line of the window, per resource', async (t) => {
  const r = await run();
  const space = forecast(r, { ...fsLabels, resource: 'space' })!;
  // The line falls about 3e6 per second from about 1e9 - 3e6 * 99: about 234 s left.
  t.ok(space > 200 && space < 270, `space: ${space} s`);
  t.equal(forecast(r, { ...fsLabels, resource: 'inodes' }), Number.POSITIVE_INFINITY, 'a flat inode count never fills');
  const mem = forecast(r, { id: '/pod', resource: 'memory' })!;
  t.ok(mem > 150 && mem < 250, `memory: ${mem} s`);
  t.equal(forecast(r, { id: '/unlimited', resource: 'memory' }), undefined, 'no forecast without a limit');
  t.equal(forecast(r, { resource: 'conntrack' }), undefined, 'no forecast without the conntrack limit');
  const crossings = r.events.list().filter((e) => e.kind === 'forecast_crossing');
  t.same([...new Set(crossings.map((e) => e.detail['resource']))].sort(), ['memory', 'space'], 'both fall under the 300 s horizon');
  for (const res of ['memory', 'space']) {
    const last = r.events
      .list()
      .filter((e) => e.detail['resource'] === res)
      .pop();
    t.equal(last?.kind, 'forecast_crossing', `${res}: still under the horizon at the end`);
  }
  t.ok(crossings.every((e) => (e.detail['seconds_until_full'] as number) < 300));
});

t.test('a forecast back above the horizon records forecast_clear', async (t) => {
  const r = await rig({ forecastWindowMs: 10_000, forecastIntervalMs: 1000, forecastHorizonMs: 300_000 });
  for (let i = 0; i < 40; i++) {
    r.store.set(avail, fsLabels, i < 20 ? 1e6 - 1e4 * i : 1e6);
    r.history.sample(r.store, i * 1000);
  }
  t.same(
    r.events.list().map((e) => e.kind),
    ['forecast_crossing', 'forecast_clear'],
  );
  t.equal(forecast(r, { resource: 'space' }), Number.POSITIVE_INFINITY);
});

const promtool = spawnSync('promtool', ['--version']).status === 0;

t.test('agrees with predict_linear evaluated by promtool test rules on the same series', { skip: promtool ? false : 'promtool is not installed' }, async (t) => {
  const r = await run();
  const dir = mkdtempSync(join(tmpdir(), 'outrider-forecast-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const w = `[${WINDOW_S}s]`;
  const until = (series: string, lim: number) => `(${lim} - predict_linear(${series}${w}, 0)) / (predict_linear(${series}${w}, 1) - predict_linear(${series}${w}, 0))`;
  writeFileSync(
    join(dir, 'rules.yml'),
    `groups:\n  - name: f\n    rules:\n      - record: space_until_full\n        expr: '${until('node_filesystem_avail_bytes', 0)}'\n      - record: memory_until_full\n        expr: '${until('container_memory_working_set_bytes', LIMIT)}'\n`,
  );
  const values = (f: (i: number) => number) => Array.from({ length: N }, (_, i) => String(f(i))).join(' ');
  const evalTime = `${N - 1}s`;
  // Expected values that cannot match: promtool then prints what it computed.
  writeFileSync(
    join(dir, 'test.yml'),
    [
      'rule_files: [rules.yml]',
      'evaluation_interval: 1s',
      'tests:',
      '  - interval: 1s',
      '    input_series:',
      `      - series: 'node_filesystem_avail_bytes{mountpoint="/"}'`,
      `        values: '${values(availAt)}'`,
      `      - series: 'container_memory_working_set_bytes{id="/pod"}'`,
      `        values: '${values(usageAt)}'`,
      '    promql_expr_test:',
      ...['space_until_full', 'memory_until_full'].flatMap((name) => [
        `      - expr: ${name}`,
        `        eval_time: ${evalTime}`,
        '        exp_samples:',
        `          - labels: '${name}'`,
        '            value: -1',
      ]),
      '',
    ].join('\n'),
  );
  let out = '';
  try {
    out = execFileSync('promtool', ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? '') + String((err as { stderr?: string }).stderr ?? '');
  }
  const got = (name: string) => Number(new RegExp(`got: \\{__name__="${name}"[^}]*\\} (\\S+)`).exec(out)?.[1]);
  const promSpace = got('space_until_full');
  const promMem = got('memory_until_full');
  t.ok(Number.isFinite(promSpace) && Number.isFinite(promMem), `promtool computed both:\n${out}`);
  // promtool prints 14 significant digits.
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)) * 100;
  const space = forecast(r, { ...fsLabels, resource: 'space' })!;
  const mem = forecast(r, { id: '/pod', resource: 'memory' })!;
  t.ok(close(space, promSpace), `space: ${space} vs predict_linear ${promSpace}`);
  t.ok(close(mem, promMem), `memory: ${mem} vs predict_linear ${promMem}`);
});
