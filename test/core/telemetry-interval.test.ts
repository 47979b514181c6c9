/**
 * `Telemetry.interval`: callers with the same period share one timer (one wake-up a period for all of them), each
 * runs every period, one stopping leaves the others running, and the timer ends with the last. The agent's sweep
 * period follows the collection interval within 1-5 s.
 */
import t from 'tap';
import { sweepPeriodMs } from '../../agent/agent';
import { Telemetry } from '../../agent/core/telemetry';
import { countTimerRuns } from '../helpers/timer-runs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A period no other timer in this test uses. */
const PERIOD_MS = 53;

t.test('two callers of one period share one timer, and each runs every period', async (t) => {
  const timers = countTimerRuns(PERIOD_MS);
  t.teardown(() => timers.stop());
  const tel = new Telemetry({ runtimeMetrics: false, loopLag: 'timers' });
  let a = 0;
  let b = 0;
  const ta = tel.interval(PERIOD_MS, () => a++);
  const tb = tel.interval(PERIOD_MS, () => b++);
  await sleep(PERIOD_MS * 6.5);
  t.equal(timers.created(), 1, 'one timer for both');
  t.ok(a >= 3 && a <= 7, `the first ran ${a} times in 6.5 periods`);
  t.equal(b, a, 'the second ran on the same ticks');
  t.equal(timers.runs(), a, 'one wake-up a tick for both');

  ta.stop();
  const [a1, b1] = [a, b];
  await sleep(PERIOD_MS * 4.5);
  t.equal(a, a1, 'a stopped caller is not called again');
  t.ok(b - b1 >= 2, `the other goes on (${b - b1} more runs)`);

  tb.stop();
  const runs = timers.runs();
  await sleep(PERIOD_MS * 4);
  t.equal(timers.runs(), runs, 'the timer ends with its last caller');

  const tc = tel.interval(PERIOD_MS, () => undefined);
  t.equal(timers.created(), 2, 'a caller after that starts a new timer');
  tc.stop();
});

t.test('another period gets its own timer', async (t) => {
  const timers = countTimerRuns(PERIOD_MS + 1);
  t.teardown(() => timers.stop());
  const tel = new Telemetry({ runtimeMetrics: false });
  const one = tel.interval(PERIOD_MS, () => undefined);
  const two = tel.interval(PERIOD_MS + 1, () => undefined);
  t.equal(timers.created(), 1);
  one.stop();
  two.stop();
});

t.test('the sweep period: the collection interval within 1-5 s, at most a quarter of the staleness', async (t) => {
  t.equal(sweepPeriodMs(1000, 300_000), 1000, '1 s collection: each second, as before');
  t.equal(sweepPeriodMs(5000, 300_000), 5000, '5 s collection: with the round, not each second');
  t.equal(sweepPeriodMs(60_000, 300_000), 5000, 'a minute: held at 5 s');
  t.equal(sweepPeriodMs(200, 300_000), 1000, 'under a second: 1 s');
  t.equal(sweepPeriodMs(5000, 8000), 2000, 'a quarter of an 8 s staleness');
  t.equal(sweepPeriodMs(5000, 1000), 1000, 'never under 1 s');
});
