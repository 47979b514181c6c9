import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { Health } from '../../agent/core/component';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import type { RuleGroup } from '../../agent/rules/group';
import { RulesCarry, RulesManager } from '../../agent/rules/manager';
import type { RulesOptions } from '../../agent/rules/options';
import { readState } from '../../agent/rules/state-file';
import { Store } from '../../agent/store/store';
import { FakeEngine } from './fake-engine';

const min = 60_000;

function options(dir: string, extra: Partial<RulesOptions> = {}): RulesOptions {
  return {
    files: [path.join(dir, '*.rules.yml')],
    evaluationIntervalMs: min,
    externalLabels: {},
    externalUrl: 'http://127.0.0.1:9477',
    stateDir: path.join(dir, 'state'),
    forGracePeriodMs: 10 * min,
    outageToleranceMs: 60 * min,
    alertmanager: { urls: [], timeoutMs: 1000, resendDelayMs: min, queueCapacity: 100, maxBatch: 64 },
    ...extra,
  };
}

const rulesFile = (forDur = '30m', expr = 'disk_full') => `groups:
  - name: disk
    rules:
      - record: job:disk:count
        expr: disk_count
        labels: { source: rules }
      - alert: DiskFull
        expr: ${expr}
        for: ${forDur}
        labels: { severity: page }
`;

interface World {
  dir: string;
  store: Store;
  telemetry: Telemetry;
  health: Health;
  engine: FakeEngine;
  carry: RulesCarry;
  now: number;
  make(opts?: Partial<RulesOptions>): RulesManager;
}

function world(t: Test): World {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rules-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const engine = new FakeEngine();
  engine.set('disk_count', [{ labels: { __name__: 'disk_count', job: 'node' }, value: 3 }]);
  engine.set('disk_full', [{ labels: { __name__: 'disk_full', device: 'sda' }, value: 1 }]);
  const w: World = {
    dir,
    store: new Store(),
    telemetry: new Telemetry({ runtimeMetrics: false }),
    health: new Health(),
    engine,
    carry: {},
    now: 1_000 * min,
    make: (opts = {}) => new RulesManager(options(dir, opts), { store: w.store, log: silentLogger(), telemetry: w.telemetry, health: w.health, engine, carry: w.carry, now: () => w.now }),
  };
  return w;
}

async function gauge(tel: Telemetry, name: string): Promise<number | undefined> {
  const m = await tel.registry.getSingleMetric(name)?.get();
  return m?.values[0]?.value;
}

function evalAll(groups: readonly RuleGroup[], tMs: number): void {
  for (const g of groups) g.evaluate(tMs);
}

t.test("recording rules and ALERTS go into the store as the group's snapshot", async (t) => {
  const w = world(t);
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), rulesFile('0s'));
  const m = w.make();
  await m.start();
  t.teardown(() => m.stop());
  evalAll(m.groups, w.now);
  const rec = w.store.getFamily('job:disk:count');
  t.same(
    [...rec!.series.values()].map((s) => [s.labels, s.value]),
    [[{ job: 'node', source: 'rules' }, 3]],
  );
  const alerts = w.store.getFamily('ALERTS');
  t.same(
    [...alerts!.series.values()].map((s) => s.labels),
    [{ device: 'sda', severity: 'page', alertname: 'DiskFull', alertstate: 'firing' }],
  );
  const forState = w.store.getFamily('ALERTS_FOR_STATE');
  t.equal([...forState!.series.values()][0]!.value, w.now / 1000);
  w.engine.set('disk_full', []);
  evalAll(m.groups, w.now + min);
  t.equal(w.store.getFamily('ALERTS')?.series.size ?? 0, 0, 'a resolved alert leaves the store');
  t.equal(await gauge(w.telemetry, 'outrider_rules_last_reload_successful'), 1);
  t.equal(w.health.get('rules')?.state, 'running');
});

t.test('a reload with a bad file is refused as a whole: every problem listed, old rules and alert state kept', async (t) => {
  const w = world(t);
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), rulesFile('5m'));
  const m1 = w.make();
  await m1.start();
  evalAll(m1.groups, w.now);
  const before = [...(m1.groups[0]!.rules[1] as { active: Map<string, unknown> }).active.values()];
  t.equal(before.length, 1);
  await m1.stop();
  fs.writeFileSync(path.join(w.dir, 'b.rules.yml'), 'groups:\n  - name: x\n    rules:\n      - record: "bad name"\n        expr: up\n      - alert: A\n        expr: rate((up[5m])\n');
  const m2 = w.make();
  await m2.start();
  t.teardown(() => m2.stop());
  t.equal(m2.problems.length, 2, 'both problems of the bad file');
  t.equal(await gauge(w.telemetry, 'outrider_rules_last_reload_successful'), 0);
  t.equal(w.health.get('rules')?.state, 'degraded');
  t.same(
    m2.groups.map((g) => g.spec.name),
    ['disk'],
    'the old rules stay in force',
  );
  evalAll(m2.groups, w.now + 5 * min);
  const a = [...(m2.groups[0]!.rules[1] as { active: Map<string, { state: string; activeAtMs: number }> }).active.values()][0]!;
  t.equal(a.activeAtMs, w.now, 'the for timer kept running across the reload');
  t.equal(a.state, 'firing');
});

t.test('a good reload replaces the rules and keeps the state of the alerts that remain', async (t) => {
  const w = world(t);
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), rulesFile('5m'));
  const m1 = w.make();
  await m1.start();
  evalAll(m1.groups, w.now);
  await m1.stop();
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), rulesFile('10m'));
  const m2 = w.make();
  await m2.start();
  t.teardown(() => m2.stop());
  t.equal(m2.problems.length, 0);
  t.equal(m2.groups[0]!.rules[1]!.spec.forMs, 10 * min);
  evalAll(m2.groups, w.now + 6 * min);
  const a = [...(m2.groups[0]!.rules[1] as { active: Map<string, { state: string }> }).active.values()][0]!;
  t.equal(a.state, 'pending', 'the new for applies to the kept active time');
});

t.test('`for` state survives a restart through the state file', async (t) => {
  const w = world(t);
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), rulesFile('30m'));
  const m1 = w.make();
  await m1.start();
  evalAll(m1.groups, w.now);
  evalAll(m1.groups, w.now + 20 * min);
  w.now += 20 * min;
  await m1.stop();
  const saved = readState(path.join(w.dir, 'state'), (e) => t.fail(e));
  t.equal(saved?.alerts.length, 1);
  t.equal(saved?.alerts[0]?.activeAtMs, 1_000 * min);
  // A new agent (no carry) starts after 2 minutes down.
  w.carry = {};
  w.store = new Store();
  w.now += 2 * min;
  const m2 = w.make();
  await m2.start();
  t.teardown(() => m2.stop());
  evalAll(m2.groups, w.now);
  const rule = m2.groups[0]!.rules[1] as { active: Map<string, { state: string; activeAtMs: number }>; restored: boolean };
  const a = [...rule.active.values()][0]!;
  t.ok(rule.restored);
  t.equal(a.activeAtMs, 1_000 * min + 2 * min, 'active time shifted by the outage: 20 of 30 minutes already held');
  evalAll(m2.groups, w.now + 9 * min);
  t.equal(a.state, 'pending');
  evalAll(m2.groups, w.now + 10 * min);
  t.equal(a.state, 'firing', 'fires after the remaining 10 minutes, not 30');
});

t.test('restoring honours the grace period and the outage tolerance', async (t) => {
  const w = world(t);
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), rulesFile('30m'));
  const m1 = w.make();
  await m1.start();
  evalAll(m1.groups, w.now);
  w.now += 25 * min;
  evalAll(m1.groups, w.now);
  await m1.stop();
  w.carry = {};
  w.now += min;
  const m2 = w.make();
  await m2.start();
  evalAll(m2.groups, w.now);
  const a = [...(m2.groups[0]!.rules[1] as { active: Map<string, { activeAtMs: number }> }).active.values()][0]!;
  t.equal(a.activeAtMs, w.now + 10 * min - 30 * min, '5 minutes left is under the grace period: fires 10 minutes after the restart');
  await m2.stop();
  w.carry = {};
  w.now += 61 * min;
  const m3 = w.make();
  await m3.start();
  t.teardown(() => m3.stop());
  evalAll(m3.groups, w.now);
  const b = [...(m3.groups[0]!.rules[1] as { active: Map<string, { activeAtMs: number }> }).active.values()][0]!;
  t.equal(b.activeAtMs, w.now, 'after an outage over the tolerance nothing is restored');
});

t.test('groups run on their interval; ticks that could not run are counted as missed', async (t) => {
  const w = world(t);
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), 'groups:\n  - name: fast\n    interval: 50ms\n    rules:\n      - record: r\n        expr: disk_count\n');
  let real = Date.now();
  const m = new RulesManager(options(w.dir), { store: w.store, log: silentLogger(), telemetry: w.telemetry, health: w.health, engine: w.engine, carry: w.carry, now: () => real });
  const clock = setInterval(() => (real = Date.now()), 5);
  await m.start();
  t.teardown(async () => {
    clearInterval(clock);
    await m.stop();
  });
  await new Promise((r) => setTimeout(r, 400));
  t.ok(w.engine.calls >= 3, `evaluated ${w.engine.calls} times in 400 ms`);
  t.equal(m.groups[0]!.lastEvaluationMs! % 50, m.groups[0]!.nextTick(0) % 50, 'evaluated at aligned ticks');
  t.ok(w.store.getFamily('r'));
  // Block the event loop for 3 intervals: the next tick counts the ones that were missed.
  const until = Date.now() + 160;
  while (Date.now() < until) real = Date.now();
  await new Promise((r) => setTimeout(r, 120));
  const missed = (await w.telemetry.registry.getSingleMetric('outrider_rule_group_iterations_missed_total')?.get())?.values[0]?.value ?? 0;
  t.ok(missed >= 2, `missed ${missed}`);
});

t.test('a timer that fires before its tick waits for it: no tick is evaluated twice or skipped for it', async (t) => {
  // Node's timers run off the event loop's cached clock, so a timeout can fire a few ms before Date.now() reaches
  // its target; here every other clock read is 3 ms behind.
  const w = world(t);
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), 'groups:\n  - name: fast\n    interval: 40ms\n    rules:\n      - record: r\n        expr: ticks\n');
  const ticks: number[] = [];
  w.engine.set('ticks', (tMs) => {
    ticks.push(tMs);
    return [];
  });
  let reads = 0;
  const m = new RulesManager(options(w.dir), {
    store: w.store,
    log: silentLogger(),
    telemetry: w.telemetry,
    health: w.health,
    engine: w.engine,
    carry: w.carry,
    now: () => Date.now() - (++reads % 2 === 0 ? 3 : 0),
  });
  await m.start();
  await new Promise((r) => setTimeout(r, 600));
  await m.stop();
  t.ok(ticks.length >= 5, `evaluated ${ticks.length} times`);
  t.same(
    ticks,
    [...new Set(ticks)].sort((x, y) => x - y),
    'each tick evaluated once, in order',
  );
  const missed = (await w.telemetry.registry.getSingleMetric('outrider_rule_group_iterations_missed_total')?.get())?.values[0]?.value ?? 0;
  t.equal(ticks.length + missed, (ticks.at(-1)! - ticks[0]!) / 40 + 1, 'every tick between the first and the last was evaluated or counted as missed');
});

t.test('without a query engine the rules are refused with a clear reason', async (t) => {
  const w = world(t);
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), rulesFile());
  const m = new RulesManager(options(w.dir), { store: w.store, log: silentLogger(), telemetry: w.telemetry, health: w.health, engine: undefined, carry: w.carry });
  await m.start();
  t.teardown(() => m.stop());
  t.match(m.problems.map((p) => p.message).join('\n'), /need the local history/);
  t.equal(m.groups.length, 0);
});

t.test("a group's series outlive the store's staleness sweep between evaluations", async (t) => {
  const w = world(t);
  w.store = new Store({ staleAfterMs: 1000 });
  fs.writeFileSync(path.join(w.dir, 'a.rules.yml'), 'groups:\n  - name: slow\n    interval: 1h\n    rules:\n      - record: r\n        expr: disk_count\n');
  const m = w.make();
  await m.start();
  t.teardown(() => m.stop());
  m.groups[0]!.evaluate(Date.now());
  await new Promise((r) => setTimeout(r, 1600));
  w.store.sweep();
  t.equal(w.store.getFamily('r')?.series.size, 1, 'still in the store 1.6 s after the evaluation with stale_after 1 s');
  await m.stop();
  await new Promise((r) => setTimeout(r, 1100));
  w.store.sweep();
  t.equal(w.store.getFamily('r')?.series.size ?? 0, 0, 'swept once the group stopped');
});

t.test('relative rule file paths are taken from the config file directory', async (t) => {
  const { Config } = await import('../../agent/config/config');
  const { agentKeys } = await import('../../agent/keys');
  const { optionsFrom } = await import('../../agent/rules/options');
  const { loadConfig } = await import('../../agent/config/load');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rules-cfg-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'outrider.yaml'), 'rules:\n  files: [rules/*.yml, /abs/x.yml]\n');
  const { config, problems } = loadConfig({ keys: agentKeys, file: path.join(dir, 'outrider.yaml'), env: {}, flags: new Map() });
  t.same(problems, []);
  t.same(optionsFrom(config).files, [path.join(dir, 'rules/*.yml'), '/abs/x.yml']);
  t.same(optionsFrom(Config.defaults(agentKeys).with({ 'rules.files': ['r.yml'] })).files, ['r.yml'], 'a flag is taken from the working directory');
});
