/**
 * The streaming Holt–Winters forecaster against a reference: the additive Holt–Winters equations as textbooks give
 * them (Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", 8.3), written out in Python with NumPy
 * (Debian python3-numpy) and run on the same series, with the same start (first period's mean and deviations, trend
 * 0). Also: on a seasonal series it forecasts a period ahead far better than double exponential smoothing.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { doubleExponentialSmoothing, HoltWinters } from '../../agent/analysis/holt-winters';

const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const reference = String.raw`
import json, sys
import numpy as np
inp = json.load(sys.stdin)
y = np.array(inp["y"], dtype=float); m = inp["period"]; a, b, g = inp["alpha"], inp["beta"], inp["gamma"]
l = y[:m].mean(); trend = 0.0; s = list(y[:m] - l)   # s[t % m] holds s_{t-m} when y_t arrives
one_step = []
for t in range(m, len(y)):
    one_step.append(l + trend + s[t % m])              # the forecast of y_t made at t-1
    l_prev = l
    l = a * (y[t] - s[t % m]) + (1 - a) * (l_prev + trend)
    trend = b * (l - l_prev) + (1 - b) * trend
    s[t % m] = g * (y[t] - l) + (1 - g) * s[t % m]
n = len(y)
ahead = [l + h * trend + s[(n - 1 + h) % m] for h in range(1, m + 1)]
print(json.dumps({"one_step": one_step, "ahead": ahead}))
`;

/** A daily-like rhythm (period 48), a slow trend and deterministic noise. */
function series(n: number, period: number): number[] {
  return Array.from({ length: n }, (_, i) => 500 + 0.2 * i + 80 * Math.sin((2 * Math.PI * i) / period) + 30 * Math.sin((4 * Math.PI * i) / period) + 10 * Math.sin(i * 12.9898));
}

t.test('matches the textbook additive Holt–Winters run in NumPy, step by step and a period ahead', { skip: python ? false : 'python3 with numpy is not installed' }, async (t) => {
  const period = 48;
  const y = series(10 * period, period);
  for (const [alpha, beta, gamma] of [
    [0.3, 0.05, 0.3],
    [0.7, 0.2, 0.1],
    [0.05, 0.01, 0.5],
  ] as const) {
    const r = spawnSync('python3', ['-c', reference], { input: JSON.stringify({ y, period, alpha, beta, gamma }), encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as { one_step: number[]; ahead: number[] };
    const hw = new HoltWinters({ alpha, beta, gamma, period });
    const oneStep: number[] = [];
    for (let i = 0; i < y.length; i++) {
      if (i >= period) oneStep.push(hw.forecast(1)!);
      hw.update(y[i]!);
    }
    const ahead = Array.from({ length: period }, (_, h) => hw.forecast(h + 1)!);
    const worst = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(1, Math.abs(b[i]!))));
    t.equal(oneStep.length, ref.one_step.length);
    t.ok(worst(oneStep, ref.one_step) < 1e-12, `α ${alpha} β ${beta} γ ${gamma}: one step ahead, worst relative difference ${worst(oneStep, ref.one_step)}`);
    t.ok(worst(ahead, ref.ahead) < 1e-12, `α ${alpha} β ${beta} γ ${gamma}: 1…${period} steps ahead, worst relative difference ${worst(ahead, ref.ahead)}`);
  }
});

t.test('on a seasonal series, a period ahead: Holt–Winters errs far less than double exponential smoothing', async (t) => {
  const period = 48;
  const y = series(12 * period, period);
  let hwErr = 0;
  let desErr = 0;
  let n = 0;
  const hw = new HoltWinters({ alpha: 0.3, beta: 0.05, gamma: 0.3, period });
  for (let i = 0; i < y.length - period; i++) {
    hw.update(y[i]!);
    if (i < 4 * period) continue;
    const truth = y[i + period]!;
    hwErr += Math.abs(hw.forecast(period)! - truth);
    // PromQL's double_exponential_smoothing over the last period, extended by its last trend step (its best guess).
    const window = y.slice(i - period + 1, i + 1);
    const level = doubleExponentialSmoothing(window, 0.3, 0.05)!;
    const prevLevel = doubleExponentialSmoothing(window.slice(0, -1), 0.3, 0.05)!;
    desErr += Math.abs(level + period * (level - prevLevel) - truth);
    n++;
  }
  t.ok(hwErr / n < 0.25 * (desErr / n), `mean absolute error a period ahead: Holt–Winters ${(hwErr / n).toFixed(2)}, double smoothing ${(desErr / n).toFixed(2)}`);
});
