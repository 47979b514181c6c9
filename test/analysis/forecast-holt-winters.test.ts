import t from 'tap';
import { smoothedSecondsUntil } from '../../agent/analysis/forecast-hw';
import { doubleExponentialSmoothing, smoothedLine } from '../../agent/analysis/holt-winters';
import { optionsFrom } from '../../agent/analysis/options';
import { secondsUntil, type Sample } from '../../agent/analysis/predict-linear';
import { loadConfig } from '../../agent/config/load';
import { agentKeys } from '../../agent/keys';
import { get, startAgent } from '../helpers/agent';
import { rig } from './fixture';

const fsLabels = { mountpoint: '/', device: '/dev/sda1', fstype: 'ext4' };
const avail = { name: 'node_filesystem_avail_bytes', help: 'h', type: 'gauge' as const };
const LINEAR = 'outrider_forecast_seconds_until_full';
const HW = 'outrider_forecast_holt_winters_seconds_until_full';

/** Both forecasts of the root filesystem after `n` one-second samples of `at(i)`, the window `windowS` seconds. */
async function both(n: number, at: (i: number) => number, windowS: number): Promise<{ linear: number | undefined; hw: number | undefined }> {
  const r = await rig({ forecastWindowMs: windowS * 1000, forecastIntervalMs: 1000 });
  for (let i = 0; i < n; i++) {
    r.store.set(avail, fsLabels, at(i));
    r.history.sample(r.store, i * 1000);
  }
  return { linear: r.out.value(LINEAR, { ...fsLabels, resource: 'space' }), hw: r.out.value(HW, { ...fsLabels, resource: 'space' }) };
}

t.test("the smoothed level is holt_winters' over the same samples", async (t) => {
  let seed = 7;
  const values = Array.from({ length: 200 }, (_, i) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return 1e9 - 2e6 * i + (seed / 2 ** 32) * 5e6;
  });
  for (const [sf, tf] of [
    [0.3, 0.1],
    [0.8, 0.5],
    [0.05, 0.9],
  ] as const) {
    t.equal(smoothedLine(values, { sf, tf })!.level, doubleExponentialSmoothing(values, sf, tf), `sf ${sf}, tf ${tf}`);
  }
  t.equal(smoothedLine([1], { sf: 0.3, tf: 0.1 }), undefined, 'one value: no answer');
  t.equal(smoothedLine(values, { sf: 1, tf: 0.1 }), undefined, 'a factor outside (0, 1): no answer');
  // The forecast carries that level to the evaluation time at the per-second trend.
  const samples: Sample[] = values.map((value, i) => ({ timestampMs: i * 2000, value }));
  const { level, trend } = smoothedLine(values, { sf: 0.3, tf: 0.1 })!;
  const slope = trend / 2;
  const evalMs = 199 * 2000 + 1000;
  const expected = (0 - (level + slope)) / slope;
  t.ok(Math.abs(smoothedSecondsUntil(samples, evalMs, 0, { sf: 0.3, tf: 0.1 })! - expected) < 1e-9 * expected);
});

t.test('on a steady linear decline both forecasts agree', async (t) => {
  const exact = await both(120, (i) => 1e9 - 3e6 * i, 60);
  t.ok(Math.abs(exact.hw! - exact.linear!) < 1e-6 * exact.linear!, `exact line: linear ${exact.linear} s, holt-winters ${exact.hw} s`);
  // With some noise on the line, within a few percent.
  const noisy = await both(120, (i) => 1e9 - 3e6 * i + ((i * 37) % 11) * 1e5, 60);
  t.ok(Math.abs(noisy.hw! / noisy.linear! - 1) < 0.05, `noisy line: linear ${noisy.linear} s, holt-winters ${noisy.hw} s`);
});

t.test('after a change of slope the Holt-Winters forecast follows the new slope sooner than the least-squares line', async (t) => {
  // 1e6 B/s for 100 s, then 5e6 B/s for 15 s; at the new rate what is left lasts `truth` seconds.
  const at = (i: number) => (i < 100 ? 1e9 - 1e6 * i : 1e9 - 1e6 * 100 - 5e6 * (i - 100));
  const n = 116;
  const truth = at(n - 1) / 5e6;
  const { linear, hw } = await both(n, at, 60);
  const linErr = Math.abs(linear! - truth) / truth;
  const hwErr = Math.abs(hw! - truth) / truth;
  t.comment(`truth ${truth.toFixed(1)} s, linear ${linear!.toFixed(1)} s (${(linErr * 100).toFixed(0)}% off), holt-winters ${hw!.toFixed(1)} s (${(hwErr * 100).toFixed(0)}% off)`);
  t.ok(hwErr < 0.25, 'Holt-Winters within 25% of the new slope’s answer');
  t.ok(linErr > 1, 'the least-squares line still more than 100% off');
  t.ok(hwErr * 5 < linErr);
});

t.test('flat and rising-away series never fill, on either forecast', async (t) => {
  const flat = await both(60, () => 5e8, 30);
  t.same(flat, { linear: Number.POSITIVE_INFINITY, hw: Number.POSITIVE_INFINITY });
  const rising = await both(60, (i) => 5e8 + 1e6 * i + ((i * 13) % 7) * 1e4, 30);
  t.same(rising, { linear: Number.POSITIVE_INFINITY, hw: Number.POSITIVE_INFINITY });
  t.equal(smoothedSecondsUntil([{ timestampMs: 0, value: 1 }], 0, 0, { sf: 0.3, tf: 0.1 }), undefined, 'one sample: no answer');
  t.equal(secondsUntil([{ timestampMs: 0, value: 1 }], 0, 0), undefined);
});

t.test('a series ended by a staleness marker has neither forecast', async (t) => {
  const r = await rig({ forecastWindowMs: 30_000, forecastIntervalMs: 1000 });
  let s: ReturnType<typeof r.store.set>;
  for (let i = 0; i < 20; i++) {
    if (i < 15) s = r.store.set(avail, fsLabels, 1e9 - 1e6 * i);
    else if (i === 15) r.store.remove(s!);
    r.history.sample(r.store, i * 1000);
  }
  t.equal(r.out.samples(LINEAR).length, 0);
  t.equal(r.out.samples(HW).length, 0);
});

t.test('the smoothing factors are keys, strictly inside (0, 1)', async (t) => {
  const ok = loadConfig({ keys: agentKeys, fileText: 'analysis:\n  forecast_smoothing_factor: 0.5\n  forecast_trend_factor: 0.2\n' });
  t.same(ok.problems, []);
  t.match(optionsFrom(ok.config), { forecastSmoothingFactor: 0.5, forecastTrendFactor: 0.2 });
  for (const bad of ['forecast_smoothing_factor: 1', 'forecast_trend_factor: 0']) {
    const { problems } = loadConfig({ keys: agentKeys, fileText: `analysis:\n  ${bad}\n` });
    t.equal(problems.length, 1, bad);
    t.match(problems[0], { expected: /strictly between 0 and 1/ });
  }
});

t.test('the family is on the /metrics of an agent', async (t) => {
  const a = await startAgent({ 'analysis.forecast_interval': 200 });
  t.teardown(() => a.stop());
  const labels = { mountpoint: '/hw-forecast-test', device: 'testdev', fstype: 'testfs' };
  let v = 1e9;
  const feed = setInterval(() => a.agent.store.set(avail, labels, (v -= 1e6)), 100);
  t.teardown(() => clearInterval(feed));
  const line = new RegExp(`^${HW}\\{[^}]*mountpoint="/hw-forecast-test"[^}]*resource="space"[^}]*\\} (\\S+)$`, 'm');
  let got: RegExpMatchArray | null = null;
  for (const end = Date.now() + 20_000; !got && Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    const text = (await get(`${a.url}/metrics`)).text;
    const m = line.exec(text);
    if (m && Number.isFinite(Number(m[1]))) got = m;
  }
  t.ok(got, `${HW} for the falling test filesystem is exposed: ${got?.[0]}`);
  const text = (await get(`${a.url}/metrics`)).text;
  t.match(text, new RegExp(`^# TYPE ${HW} gauge$`, 'm'));
  t.match(text, new RegExp(`^${LINEAR}\\{[^}]*mountpoint="/hw-forecast-test"`, 'm'), 'next to the linear forecast');
});
