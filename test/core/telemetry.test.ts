/** core/telemetry: the snapshot in the store's model; runtime metrics gathered on their own, slower refresh. */
import perf from 'node:perf_hooks';
import t from 'tap';
import { loopDelayResolutionMs, Telemetry } from '../../agent/core/telemetry';
import type { FamilySamples } from '../../agent/store/types';

const value = (fams: FamilySamples[], name: string): number | undefined => {
  const s = fams.find((f) => f.name === name)?.samples[0];
  return s && 'value' in s ? s.value : undefined;
};

t.test('component metrics are fresh in every snapshot; runtime metrics are reused until the refresh passes', async (t) => {
  let now = 1_000_000;
  const tel = new Telemetry({ runtimeRefreshMs: 5000, now: () => now });
  const c = tel.counter('outrider_test_things_total', 'Things.');
  const first = await tel.snapshot();
  const cpu0 = value(first, 'process_cpu_user_seconds_total');
  t.ok(cpu0 !== undefined, 'runtime metrics are in the first snapshot');
  t.equal(value(first, 'outrider_test_things_total'), 0);
  t.ok(first.findIndex((f) => f.name === 'process_cpu_user_seconds_total') < first.findIndex((f) => f.name === 'outrider_test_things_total'), 'registry order kept');

  // Burn CPU so a fresh gathering of process_cpu_user_seconds_total would differ.
  const until = process.hrtime.bigint() + 30_000_000n;
  while (process.hrtime.bigint() < until);
  c.inc(3);
  now += 1000;
  const second = await tel.snapshot();
  t.equal(value(second, 'outrider_test_things_total'), 3, 'the component counter moved');
  t.equal(value(second, 'process_cpu_user_seconds_total'), cpu0, 'the runtime sample is reused within the refresh');
  t.same(
    second.map((f) => f.name),
    first.map((f) => f.name),
    'the same families, in the same order',
  );

  now += 4000;
  const third = await tel.snapshot();
  t.ok(value(third, 'process_cpu_user_seconds_total')! > cpu0!, 'gathered again once the refresh has passed');
});

t.test('without runtime metrics only the component metrics are snapshotted', async (t) => {
  const tel = new Telemetry({ runtimeMetrics: false });
  tel.setBuildInfo(true);
  const names = (await tel.snapshot()).map((f) => f.name);
  t.same(names, ['outrider_build_info', 'outrider_native_available']);
});

t.test('the loop-delay histogram ticks at a coarse resolution and still sees a stall', async (t) => {
  // Each tick of Node's loop-delay histogram wakes the process: at 20 ms it cost an idle agent ~0.2 % of a core.
  const original = perf.monitorEventLoopDelay;
  const asked: number[] = [];
  perf.monitorEventLoopDelay = (o) => (asked.push(o?.resolution ?? 10), original(o));
  let tel: Telemetry;
  try {
    tel = new Telemetry({ runtimeRefreshMs: 0 });
  } finally {
    perf.monitorEventLoopDelay = original;
  }
  t.same(asked, [loopDelayResolutionMs], 'one histogram, at the telemetry resolution');
  t.ok(loopDelayResolutionMs >= 100, `at most 10 wakeups a second (${loopDelayResolutionMs} ms)`);

  await tel.snapshot(); // resets the histogram
  await new Promise((r) => setTimeout(r, 2 * loopDelayResolutionMs));
  const until = process.hrtime.bigint() + 250_000_000n; // a 250 ms stall: longer than a tick, always seen
  while (process.hrtime.bigint() < until);
  await new Promise((r) => setTimeout(r, 2 * loopDelayResolutionMs));
  const max = value(await tel.snapshot(), 'nodejs_eventloop_lag_max_seconds');
  t.ok(max !== undefined && max >= 0.1, `the stall is in the lag maximum (${max} s)`);
});
