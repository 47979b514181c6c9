/** core/loop-lag: the event loop lag from the lateness of the process's own timers. */
import perf from 'node:perf_hooks';
import t from 'tap';
import { TickLateness, TimerLateness } from '../../agent/core/loop-lag';
import { Telemetry } from '../../agent/core/telemetry';
import type { FamilySamples } from '../../agent/store/types';

const value = (fams: FamilySamples[], name: string): number | undefined => {
  const s = fams.find((f) => f.name === name)?.samples[0];
  return s && 'value' in s ? s.value : undefined;
};

t.test('statistics of the samples since the last take, in seconds', (t) => {
  const l = new TimerLateness();
  t.equal(l.take(), undefined, 'nothing recorded: no statistics');
  for (const ms of [4, 1, 3, 2, 10]) l.record(ms);
  l.record(-0.7); // the clock's rounding: counts as on time
  l.record(NaN); // ignored
  const s = l.take()!;
  t.equal(s.count, 6);
  t.equal(s.min, 0);
  t.equal(s.max, 0.01);
  t.ok(Math.abs(s.mean - 0.02 / 6) < 1e-12, `mean ${s.mean}`);
  const mean = 20 / 6;
  const variance = [4, 1, 3, 2, 10, 0].reduce((a, x) => a + (x - mean) ** 2, 0) / 6;
  t.ok(Math.abs(s.stddev - Math.sqrt(variance) / 1000) < 1e-12, `population stddev ${s.stddev}`);
  // nearest rank over 0, 1, 2, 3, 4, 10 ms
  t.equal(s.p50, 0.002);
  t.equal(s.p90, 0.01);
  t.equal(s.p99, 0.01);
  t.equal(l.take(), undefined, 'a take starts afresh');
  l.record(5);
  t.match(l.take(), { count: 1, min: 0.005, max: 0.005, p50: 0.005, p99: 0.005, stddev: 0 });
  t.end();
});

t.test('bounded: percentiles over the last 1024 samples, min, max and mean over all', (t) => {
  const l = new TimerLateness();
  l.record(5000);
  for (let i = 0; i < 5000; i++) l.record(1);
  const s = l.take()!;
  t.equal(s.count, 5001);
  t.equal(s.max, 5, 'the stall early in the period is still the maximum');
  t.equal(s.p99, 0.001, 'the percentiles are over the last samples');
  t.ok(Math.abs(s.mean - 10 / 5001) < 1e-12);
  t.end();
});

t.test('a repeating timer is late by the time past one period after its previous run', (t) => {
  const l = new TimerLateness();
  const tick = new TickLateness(1000, l);
  tick.tick(10_000);
  t.equal(l.take(), undefined, 'the first run has nothing to be late against');
  tick.tick(11_000.4);
  tick.tick(12_250.4);
  tick.tick(13_249); // early by the clock's rounding
  const s = l.take()!;
  t.equal(s.count, 3);
  t.ok(Math.abs(s.max - 0.25) < 1e-9, `max ${s.max}`);
  t.equal(s.min, 0);
  new TickLateness(1000, undefined).tick(); // no sink: nothing to do
  t.end();
});

t.test("with loopLag 'timers' no loop-delay histogram runs and a late timer is the lag", async (t) => {
  const original = perf.monitorEventLoopDelay;
  let asked = 0;
  perf.monitorEventLoopDelay = (o) => (asked++, original(o));
  let tel: Telemetry;
  try {
    tel = new Telemetry({ runtimeRefreshMs: 0, loopLag: 'timers' });
  } finally {
    perf.monitorEventLoopDelay = original;
  }
  t.equal(asked, 0, 'no histogram: no timer of its own waking the process');
  const names = (await tel.snapshot()).map((f) => f.name).filter((n) => n.startsWith('nodejs_eventloop_lag'));
  t.same(
    names.sort(),
    ['max', 'mean', 'min', 'p50', 'p90', 'p99', 'stddev']
      .map((s) => `nodejs_eventloop_lag_${s}_seconds`)
      .concat('nodejs_eventloop_lag_seconds')
      .sort(),
    "prom-client's series",
  );

  // A 100 ms interval whose loop stalls for 250 ms once, in a run: the next run was due 100 ms after that one began,
  // so it comes ~150 ms late.
  const ticks = tel.tickLateness(100);
  let n = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      ticks.tick();
      if (++n === 2) {
        const until = process.hrtime.bigint() + 250_000_000n;
        while (process.hrtime.bigint() < until);
      }
      if (n === 5) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
  });
  const fams = await tel.snapshot();
  const max = value(fams, 'nodejs_eventloop_lag_max_seconds')!;
  t.ok(max >= 0.12 && max < 1, `the stall is the maximum lateness (${max} s)`);
  t.ok(value(fams, 'nodejs_eventloop_lag_min_seconds')! < 0.05, 'the other runs were about on time');
  t.equal(value(fams, 'nodejs_eventloop_lag_p99_seconds'), max);

  const again = await tel.snapshot();
  t.equal(value(again, 'nodejs_eventloop_lag_max_seconds'), max, 'no timer ran since: the values stay');
});
