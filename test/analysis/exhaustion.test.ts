import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { EventLog } from '../../agent/analysis/events';
import { ForecastTracker } from '../../agent/analysis/forecasts';
import { optionsFrom } from '../../agent/analysis/options';
import type { HistoryReader } from '../../agent/history/types';
import { defaultConfig } from '../../agent/keys';
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

/** A history holding one filesystem whose two latest samples put the forecast at `seconds()` (falling 1e4 B/s). */
function wavering(seconds: () => number, family = 'node_filesystem_avail_bytes'): HistoryReader {
  const reader: Partial<HistoryReader> = {
    stepMs: 1000,
    select(matchers, _start, end) {
      if (matchers[0]?.value !== family) return [];
      const level = seconds() * 1e4;
      return [{ labels: { __name__: family, ...fsLabels }, timestampsMs: Float64Array.of(end - 1000, end), values: Float64Array.of(level + 1e4, level) }];
    },
  };
  return reader as HistoryReader;
}

t.test('a forecast wavering around the horizon does not flap: it clears only at horizon × clear factor', async (t) => {
  const events = new EventLog(100);
  const tracker = new ForecastTracker({ windowMs: 5000, horizonMs: 100_000, clearFactor: 1.25, spoolMaxBytes: 0 }, events);
  // 90 s, 120 s, 90 s, 120 s... around the 100 s horizon, then 130 s (past 125 s, the clear level), then 99 s.
  const path = [90, 120, 90, 120, 90, 120, 130, 99];
  let i = 0;
  const got: number[] = [];
  for (; i < path.length; i++)
    got.push(
      tracker.evaluate(
        wavering(() => path[i]!),
        1_000_000 + i * 1000,
      )[0]!.seconds,
    );
  t.same(
    got.map((x) => Math.round(x)),
    path,
    'the forecasts are the intended ones',
  );
  t.same(
    events.list().map((e) => `${e.kind}@${e.timeMs - 1_000_000}`),
    ['forecast_crossing@0', 'forecast_clear@6000', 'forecast_crossing@7000'],
    'one crossing while it wavers; it clears past 125 s and crosses again under 100 s',
  );
  const plain = new EventLog(100);
  const flappy = new ForecastTracker({ windowMs: 5000, horizonMs: 100_000, clearFactor: 1, spoolMaxBytes: 0 }, plain);
  for (i = 0; i < path.length; i++)
    flappy.evaluate(
      wavering(() => path[i]!),
      1_000_000 + i * 1000,
    );
  t.equal(plain.list().length, 7, 'with a clear factor of 1 every wave is an event (what the factor prevents)');
});

t.test('the spool forecast: outrider_report_spool_bytes up to spool.max_size, only with a spool on disk', async (t) => {
  const spoolAt = (i: number) => 1e6 + 2e4 * i;
  const run = async (spoolMaxBytes: number) => {
    const r = await rig({ forecastWindowMs: 30_000, forecastIntervalMs: 1000, forecastHorizonMs: 300_000, spoolMaxBytes });
    for (let i = 0; i < 40; i++) {
      r.store.set({ name: 'outrider_report_spool_bytes', help: 'h', type: 'gauge' }, {}, spoolAt(i));
      r.history.sample(r.store, i * 1000);
    }
    return r;
  };
  const r = await run(5e6);
  // 5e6 − (1e6 + 2e4 × 39) = 3.22e6 left at 2e4 B/s: 161 s.
  t.ok(Math.abs(forecast(r, { resource: 'spool' })! - 161) < 1e-6, `spool: ${forecast(r, { resource: 'spool' })} s`);
  t.equal(r.events.list().find((e) => e.detail['resource'] === 'spool')?.kind, 'forecast_crossing');
  t.equal(forecast(await run(0), { resource: 'spool' }), undefined, 'no spool on disk, no forecast');
  t.equal(optionsFrom(defaultConfig().with({ 'spool.dir': '' })).spoolMaxBytes, 0);
  t.equal(optionsFrom(defaultConfig().with({ 'spool.dir': '/tmp/x', 'spool.max_size': 12345678 })).spoolMaxBytes, 12345678);
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
