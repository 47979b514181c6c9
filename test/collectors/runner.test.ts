import t from 'tap';
import type { Collector } from '../../agent/collectors/collector';
import { NoDataError } from '../../agent/collectors/collector';
import { CollectorRunner } from '../../agent/collectors/runner';
import { Config } from '../../agent/config/config';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { labelKey, Store } from '../../agent/store/store';
import { agentKeys } from '../../agent/keys';

const paths = { procfs: '/proc', sysfs: '/sys', rootfs: '/' };
// The runner's timers are unref'd (they must not keep an agent alive); keep this test process alive meanwhile.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

function value(store: Store, name: string, labels: Record<string, string>): number | undefined {
  return store.getFamily(name)?.series.get(labelKey(labels))?.value;
}

t.test('a hung collector is abandoned at its budget, reported, and not started again until it settles', async (t) => {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  let calls = 0;
  let release: () => void = () => undefined;
  const hung: Collector = {
    name: 'hung',
    defaultEnabled: true,
    collect: () => {
      calls++;
      if (calls > 1) return Promise.resolve([]);
      return new Promise((resolve) => {
        release = () => resolve([]);
      });
    },
  };
  const fine: Collector = {
    name: 'fine',
    defaultEnabled: true,
    collect: async () => [{ name: 'fine_value', help: 'x', type: 'gauge', samples: [{ labels: {}, value: 1 }] }],
  };
  const config = Config.defaults(agentKeys).with({ 'collectors.timeout': 200, 'collectors.interval': 100 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [hung, fine], telemetry });
  await runner.start();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'hung' }), 0);
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'fine' }), 1);
  t.equal(value(store, 'fine_value', {}), 1, 'the other collector is unaffected');
  await new Promise((r) => setTimeout(r, 450));
  t.equal(calls, 1, 'no second run while the first is stuck');
  t.ok(runner.stats().hung!.skipped >= 1, 'skipped ticks are counted');
  release();
  await new Promise((r) => setTimeout(r, 300));
  t.ok(calls >= 2, 'runs again once the stuck run settled');
  await runner.stop();
  const metrics = await telemetry.registry.metrics();
  t.match(metrics, /outrider_collector_timeouts_total\{collector="hung"\} 1/);
});

t.test('no data: nothing exposed, success 0, scrape goes on; errors are counted', async (t) => {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const absent: Collector = { name: 'absent', defaultEnabled: true, collect: async () => Promise.reject(new NoDataError('/proc/pressure does not exist')) };
  const broken: Collector = { name: 'broken', defaultEnabled: true, collect: async () => Promise.reject(new Error('garbled')) };
  const config = Config.defaults(agentKeys).with({ 'collectors.interval': 60_000 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [absent, broken], telemetry });
  await runner.start();
  await runner.stop();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'absent' }), 0);
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'broken' }), 0);
  const metrics = await telemetry.registry.metrics();
  t.match(metrics, /outrider_collector_errors_total\{collector="broken"\} 1/);
  t.notMatch(metrics, /outrider_collector_errors_total\{collector="absent"\}/, 'missing sources are not errors');
});

t.test('a collector that found no data looks again after noDataRecheckMs, not every round; found data, every round again', async (t) => {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  let present = false;
  let absentRuns = 0;
  let otherRuns = 0;
  const appearing: Collector = {
    name: 'appearing',
    defaultEnabled: true,
    collect: async () => {
      absentRuns++;
      if (!present) throw new NoDataError('no /sys/class/net/bond0');
      return [{ name: 'appearing_value', help: 'x', type: 'gauge', samples: [{ labels: {}, value: 7 }] }];
    },
  };
  const other: Collector = { name: 'other', defaultEnabled: true, collect: async () => (otherRuns++, []) };
  const config = Config.defaults(agentKeys).with({ 'collectors.interval': 50 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [appearing, other], telemetry, noDataRecheckMs: 400 });
  await runner.start();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(absentRuns, 1, 'not run again before the recheck time');
  t.ok(otherRuns >= 4, `the other collector ran every round (${otherRuns})`);
  t.equal(runner.stats().appearing!.skipped, 0, 'rounds not run while waiting are not counted as skipped');
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'appearing' }), 0, 'its success series keeps its 0');
  present = true;
  await new Promise((r) => setTimeout(r, 250));
  t.ok(absentRuns >= 2, `looked again once the recheck time passed (${absentRuns} runs)`);
  t.equal(value(store, 'appearing_value', {}), 7, 'the source that appeared is collected');
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'appearing' }), 1);
  const before = absentRuns;
  await new Promise((r) => setTimeout(r, 200));
  await runner.stop();
  t.ok(absentRuns - before >= 3, `with data it runs every round again (${absentRuns - before} runs in 200 ms)`);
  t.match(await telemetry.registry.metrics(), /outrider_collector_runs_total\{collector="appearing",result="no_data"\} 1\n/);
});

t.test('noDataRecheckMs 0, or not longer than the interval: a collector without data runs every round', async (t) => {
  for (const [recheck, interval] of [
    [0, 50],
    [50, 50],
  ] as const) {
    let runs = 0;
    const absent: Collector = { name: 'absent', defaultEnabled: true, collect: async () => (runs++, Promise.reject(new NoDataError('nothing'))) };
    const config = Config.defaults(agentKeys).with({ 'collectors.interval': interval });
    const runner = new CollectorRunner({ store: new Store(), config, paths, log: silentLogger(), collectors: [absent], noDataRecheckMs: recheck });
    await runner.start();
    await new Promise((r) => setTimeout(r, 280));
    await runner.stop();
    t.ok(runs >= 4, `recheck ${recheck} ms, interval ${interval} ms: ${runs} runs in 280 ms`);
  }
});

t.test('stop is safe before start and idempotent', async (t) => {
  const runner = new CollectorRunner({ store: new Store(), config: Config.defaults(agentKeys), paths, log: silentLogger(), collectors: [] });
  await runner.stop();
  await runner.stop();
  t.pass();
});

/** A logger that records warn-level calls (fields and message). */
function warnLog(): { log: ReturnType<typeof silentLogger>; warned: Array<Record<string, unknown>> } {
  const warned: Array<Record<string, unknown>> = [];
  const log = Object.create(silentLogger()) as ReturnType<typeof silentLogger>;
  log.warn = ((obj: Record<string, unknown>) => {
    warned.push(obj);
  }) as typeof log.warn;
  return { log, warned };
}

t.test('issues a collector notes are logged by the runner: first issue and count, once a minute per collector', async (t) => {
  const { log, warned } = warnLog();
  const noisy: Collector = {
    name: 'noisy',
    defaultEnabled: true,
    collect: async (ctx) => {
      ctx.issues.push('line "x" is garbled', 'line "y" is garbled');
      return [];
    },
  };
  const quiet: Collector = { name: 'quiet', defaultEnabled: true, collect: async () => [] };
  const runner = new CollectorRunner({ store: new Store(), config: Config.defaults(agentKeys), paths, log, collectors: [noisy, quiet] });
  for (let i = 0; i < 5; i++) await runner.collectOnce();
  t.same(warned, [{ collector: 'noisy', issue: 'line "x" is garbled', more_issues: 1 }], 'one line for five garbled runs, none for the clean collector');
});

t.test('each collector runs under its own budget and interval when it has them', async (t) => {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const slow = (name: string, timeoutMs?: number): Collector => ({
    name,
    defaultEnabled: true,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    collect: () => new Promise((resolve) => setTimeout(() => resolve([]), 400)),
  });
  let fastRuns = 0;
  const frequent: Collector = {
    name: 'frequent',
    defaultEnabled: true,
    intervalMs: 50,
    collect: async () => {
      fastRuns++;
      return [];
    },
  };
  const config = Config.defaults(agentKeys).with({ 'collectors.timeout': 5000, 'collectors.interval': 60_000 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [slow('tight', 100), slow('roomy'), frequent], telemetry });
  const started = Date.now();
  await runner.start();
  t.ok(Date.now() - started >= 350, 'the first round waits for the collector on the default budget');
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'tight' }), 0, 'abandoned at its own 100 ms budget');
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'roomy' }), 1, 'finished within collectors.timeout');
  await new Promise((r) => setTimeout(r, 300));
  t.ok(fastRuns >= 3, `its own 50 ms interval (${fastRuns} runs)`);
  await runner.stop();
  const metrics = await telemetry.registry.metrics();
  t.match(metrics, /outrider_collector_timeouts_total\{collector="tight"\} 1/);
  t.match(metrics, /outrider_collector_runs_total\{collector="roomy",result="success"\} 1/);
  t.match(metrics, /outrider_collector_runs_total\{collector="tight",result="error"\} 1/);
});

t.test('the run signal: aborted at the budget for a collector that holds it, and for one that asks late', async (t) => {
  const store = new Store();
  let early: AbortSignal | undefined;
  let lateAborted: boolean | undefined;
  const holds: Collector = {
    name: 'holds',
    defaultEnabled: true,
    collect: (ctx) => {
      early = ctx.signal;
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve([])));
    },
  };
  const asksLate: Collector = {
    name: 'asks_late',
    defaultEnabled: true,
    collect: (ctx) =>
      new Promise((resolve) =>
        setTimeout(() => {
          lateAborted = ctx.signal.aborted;
          resolve([]);
        }, 250),
      ),
  };
  const config = Config.defaults(agentKeys).with({ 'collectors.timeout': 100, 'collectors.interval': 60_000 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [holds, asksLate] });
  await runner.collectOnce();
  t.equal(early?.aborted, true);
  t.match(String(early?.reason), /passed its 100 ms budget/);
  await new Promise((r) => setTimeout(r, 250));
  t.equal(lateAborted, true, 'a signal first asked for after the budget is already aborted');
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'holds' }), 0);
  await runner.stop();
});

t.test('collectors on one interval start together at a fixed rate; a run longer than the interval skips a turn', async (t) => {
  const store = new Store();
  const starts: Record<string, number[]> = { a: [], b: [], slow: [] };
  const mk = (name: string, ms: number): Collector => ({
    name,
    defaultEnabled: true,
    collect: (ctx) => {
      starts[name]!.push(ctx.nowMs);
      return new Promise((resolve) => setTimeout(() => resolve([]), ms));
    },
  });
  let now = 0;
  const config = Config.defaults(agentKeys).with({ 'collectors.timeout': 1000, 'collectors.interval': 100 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [mk('a', 0), mk('b', 0), mk('slow', 150)], now: () => ++now });
  await runner.start();
  await new Promise((r) => setTimeout(r, 470));
  await runner.stop();
  // `now` counts calls: collectors started by the same tick read consecutive values.
  // (stop may fall between the two starts of the last round)
  const rounds = Math.min(starts.a!.length, starts.b!.length);
  for (let i = 0; i < rounds; i++) t.equal(starts.b![i], starts.a![i]! + 1, `round ${i}: a and b started by one tick`);
  t.ok(starts.a!.length >= 4, `a ran every 100 ms regardless of the slow one (${starts.a!.length} runs)`);
  t.ok(starts.slow!.length < starts.a!.length, 'the slow collector missed turns');
  t.ok(runner.stats().slow!.skipped >= 1, 'and they were counted as skipped');
  t.equal(runner.stats().a!.skipped, 0);
});

t.test('node_scrape_collector_* covers every collector but the internal one', async (t) => {
  const store = new Store();
  const scrape: Collector = { name: 'scrape_probe', defaultEnabled: true, collect: async () => [] };
  const internal: Collector = { name: 'outrider', defaultEnabled: true, internal: true, collect: async () => [] };
  const runner = new CollectorRunner({ store, config: Config.defaults(agentKeys), paths, log: silentLogger(), collectors: [scrape, internal] });
  await runner.collectOnce();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'scrape_probe' }), 1);
  t.ok(store.getFamily('node_scrape_collector_duration_seconds')?.series.get(labelKey({ collector: 'scrape_probe' })));
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'outrider' }), undefined);
});

t.test('a collector that writes its own series keeps them: the runner does not replace them with its empty snapshot', async (t) => {
  const store = new Store();
  let n = 0;
  const desc = { name: 'outrider_probe', help: 'Written by the collector itself.', type: 'gauge' } as const;
  const self: Collector = {
    name: 'outrider',
    defaultEnabled: true,
    internal: true,
    writesOwnSeries: true,
    collect: async () => {
      const fam = store.family(desc)!;
      store.writeHandle(store.series(fam, {}, 'outrider')!, ++n);
      return [];
    },
  };
  const runner = new CollectorRunner({ store, config: Config.defaults(agentKeys), paths, log: silentLogger(), collectors: [self] });
  await runner.collectOnce();
  await runner.collectOnce();
  t.equal(value(store, 'outrider_probe', {}), 2, 'the value it wrote is served');
});

t.test('the registry of kinds: collectors.enabled accepts every registered name and only those', async (t) => {
  const { collectorKinds, collectorNames, defaultCollectorNames, buildCollectors, selectedCollectorNames, registeredCollectors } = await import('../../agent/collectors/kinds');
  const { hostCollectors } = await import('../../agent/collectors/host/index');
  const { loadConfig } = await import('../../agent/config/load');
  t.same(
    collectorKinds.map((k) => k.kind),
    ['host', 'gpu'],
  );
  t.same(collectorNames(), [...hostCollectors().map((c) => c.name), 'gpu'], 'every host collector and the gpu collector are registered by name');
  t.same(
    defaultCollectorNames(),
    [
      ...hostCollectors()
        .filter((c) => c.defaultEnabled)
        .map((c) => c.name),
      'gpu',
    ],
    'the collectors on by default are the default',
  );
  t.ok(registeredCollectors().every((r) => r.kind === (r.name === 'gpu' ? 'gpu' : 'host')));
  for (const name of collectorNames()) t.same(loadConfig({ keys: agentKeys, flags: new Map([['collectors.enabled', [name]]]) }).problems, [], `${name} is accepted`);
  const bad = loadConfig({ keys: agentKeys, flags: new Map([['collectors.enabled', ['cpu,nosuch']]]) }).problems;
  t.equal(bad.length, 1);
  t.equal(bad[0]?.key, 'collectors.enabled');
  t.match(bad[0]?.expected, /arp, cgroup/, 'the problem lists the registered names');
  const picked = buildCollectors(selectedCollectorNames(['cpu', 'loadavg', 'meminfo'], ['meminfo']));
  t.same(
    picked.map((c) => c.name),
    ['cpu', 'loadavg'],
  );
});

t.test('collector success and duration: written each round, and made again when the store dropped them', async (t) => {
  const store = new Store();
  let ok = true;
  const flaky: Collector = {
    name: 'flaky',
    defaultEnabled: true,
    collect: async () => {
      if (!ok) throw new Error('broken');
      return [];
    },
  };
  const runner = new CollectorRunner({ store, config: Config.defaults(agentKeys), paths, log: silentLogger(), collectors: [flaky] });
  await runner.collectOnce();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'flaky' }), 1);
  ok = false;
  await runner.collectOnce();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'flaky' }), 0, 'the kept series is written');
  for (const name of ['node_scrape_collector_success', 'node_scrape_collector_duration_seconds']) store.remove(store.getFamily(name)!.series.get(labelKey({ collector: 'flaky' }))!);
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'flaky' }), undefined, 'removed');
  ok = true;
  await runner.collectOnce();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'flaky' }), 1, 'made again');
  t.type(value(store, 'node_scrape_collector_duration_seconds', { collector: 'flaky' }), 'number');
  await runner.stop();
});

t.test('a collector that throws before returning a promise fails its run; the others are written', async (t) => {
  const store = new Store();
  const sync: Collector = {
    name: 'sync_throw',
    defaultEnabled: true,
    collect: () => {
      throw new Error('thrown at once');
    },
  };
  const noData: Collector = {
    name: 'sync_no_data',
    defaultEnabled: true,
    collect: () => {
      throw new NoDataError('nothing here');
    },
  };
  const fine: Collector = {
    name: 'after',
    defaultEnabled: true,
    collect: async () => [{ name: 'after_value', help: 'x', type: 'gauge', samples: [{ labels: {}, value: 2 }] }],
  };
  const runner = new CollectorRunner({ store, config: Config.defaults(agentKeys), paths, log: silentLogger(), collectors: [sync, noData, fine] });
  await runner.collectOnce();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'sync_throw' }), 0);
  t.equal(runner.stats().sync_throw!.lastError, 'thrown at once');
  t.equal(runner.stats().sync_no_data!.failures, 0, 'no data is not a failure');
  t.equal(runner.stats().sync_no_data!.lastError, undefined);
  t.equal(value(store, 'after_value', {}), 2);
  await runner.collectOnce();
  t.equal(runner.stats().sync_throw!.runs, 2, 'run again next round');
  await runner.stop();
});

t.test('with durationRefreshMs: a duration is written once that has passed, and the last one before a read', async (t) => {
  let now = 1_000_000;
  const store = new Store({ now: () => now });
  const telemetry = new Telemetry({ runtimeMetrics: false });
  let spin = 0;
  const busy: Collector = {
    name: 'busy',
    defaultEnabled: true,
    collect: async () => {
      const until = process.hrtime.bigint() + BigInt(spin);
      while (process.hrtime.bigint() < until);
      return [];
    },
  };
  const runner = new CollectorRunner({ store, config: Config.defaults(agentKeys), paths, log: silentLogger(), collectors: [busy], telemetry, durationRefreshMs: 5000, now: () => now });
  const duration = (): number | undefined => value(store, 'node_scrape_collector_duration_seconds', { collector: 'busy' });
  await runner.collectOnce();
  const d0 = duration();
  t.type(d0, 'number', 'the first run writes it');
  const g0 = store.generation;
  spin = 20_000_000; // 20 ms: a duration of its own
  for (let i = 0; i < 3; i++) {
    now += 1000;
    await runner.collectOnce();
  }
  t.equal(duration(), d0, 'not written between refreshes');
  t.equal(store.generation, g0, 'no generation spent');
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'busy' }), 1, 'success is written every run');
  await telemetry.beforeRead();
  t.ok(duration()! >= 0.02, 'a read gets the last run’s duration');
  spin = 0;
  now += 5000;
  await runner.collectOnce();
  t.ok(duration()! < 0.02, 'written again once durationRefreshMs has passed');
  await runner.stop();
});

t.test('collectOnce while a run is still out: each run is settled by its own result, a late one discarded', async (t) => {
  const store = new Store();
  let calls = 0;
  let releaseFirst: (v: number) => void = () => undefined;
  const slow: Collector = {
    name: 'slow',
    defaultEnabled: true,
    collect: () => {
      calls++;
      const fam = (v: number) => [{ name: 'slow_value', help: 'x', type: 'gauge' as const, samples: [{ labels: {}, value: v }] }];
      if (calls === 1) return new Promise((resolve) => (releaseFirst = (v) => resolve(fam(v))));
      return Promise.resolve(fam(calls));
    },
  };
  const config = Config.defaults(agentKeys).with({ 'collectors.timeout': 100, 'collectors.interval': 60_000 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [slow] });
  await runner.collectOnce();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'slow' }), 0, 'the first run was abandoned at its budget');
  await runner.collectOnce();
  t.equal(value(store, 'slow_value', {}), 2, 'a second run while the first is out is written');
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'slow' }), 1);
  releaseFirst(1);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(value(store, 'slow_value', {}), 2, 'the abandoned run settling late writes nothing');
  t.equal(runner.stats().slow!.runs, 2);
  t.equal(runner.stats().slow!.timeouts, 1);
  await runner.collectOnce();
  t.equal(value(store, 'slow_value', {}), 3, 'and the next run is written');
  await runner.stop();
});

t.test('start resolves when every first run has settled, a slow one within its budget included', async (t) => {
  const store = new Store();
  const later: Collector = {
    name: 'later',
    defaultEnabled: true,
    collect: () => new Promise((resolve) => setTimeout(() => resolve([{ name: 'later_value', help: 'x', type: 'gauge', samples: [{ labels: {}, value: 7 }] }]), 50)),
  };
  const now: Collector = { name: 'now', defaultEnabled: true, collect: async () => [] };
  const config = Config.defaults(agentKeys).with({ 'collectors.timeout': 1000, 'collectors.interval': 60_000 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [now, later] });
  await runner.start();
  t.equal(value(store, 'later_value', {}), 7, 'the slow run was written before start resolved');
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'later' }), 1);
  await runner.stop();
});

t.test("a round's timer that ran late is in the event loop lag (loopLag: 'timers')", async (t) => {
  const telemetry = new Telemetry({ runtimeRefreshMs: 0, loopLag: 'timers' });
  let runs = 0;
  const stall: Collector = {
    name: 'stall',
    defaultEnabled: true,
    intervalMs: 100,
    collect: async () => {
      // The second round holds the loop for 300 ms: the third starts ~200 ms after it was due.
      if (++runs === 2) {
        const until = process.hrtime.bigint() + 300_000_000n;
        while (process.hrtime.bigint() < until);
      }
      return [];
    },
  };
  const runner = new CollectorRunner({ store: new Store(), config: Config.defaults(agentKeys), paths, log: silentLogger(), collectors: [stall], telemetry });
  await telemetry.snapshot();
  await runner.start();
  while (runs < 5) await new Promise((r) => setTimeout(r, 20));
  await runner.stop();
  const lag = (await telemetry.snapshot()).find((f) => f.name === 'nodejs_eventloop_lag_max_seconds')!.samples[0]!;
  const max = 'value' in lag ? (lag.value as number) : NaN;
  t.ok(max >= 0.15 && max < 1, `the late round is the maximum lateness (${max} s)`);
});
