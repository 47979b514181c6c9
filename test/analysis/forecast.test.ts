import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { doubleExponentialSmoothing, HoltWinters } from '../../agent/analysis/holt-winters';
import { deriv, predictLinear, secondsUntil, type Sample } from '../../agent/analysis/predict-linear';

const line = (n: number, stepMs: number, f: (sec: number) => number): Sample[] => Array.from({ length: n }, (_, i) => ({ timestampMs: i * stepMs, value: f((i * stepMs) / 1000) }));
const close = (a: number | undefined, b: number, rel = 1e-12) => a !== undefined && Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

t.test('predict_linear, deriv and time-to-limit on known lines', async (t) => {
  const s = line(30, 15_000, (sec) => 5 + 2 * sec); // 2 per second
  const now = 29 * 15_000;
  t.ok(close(deriv(s), 2));
  t.ok(close(predictLinear(s, now, 0), 5 + 2 * 435));
  t.ok(close(predictLinear(s, now, 100), 5 + 2 * 535));
  t.ok(close(secondsUntil(s, now, 5 + 2 * 435 + 50), 25));
  t.equal(secondsUntil(s, now, 0), Number.POSITIVE_INFINITY, 'moving away from the limit');
  const flat = line(10, 1000, () => 7.1);
  t.equal(predictLinear(flat, 9000, 1e6), 7.1, 'a constant series predicts itself exactly');
  t.equal(secondsUntil(flat, 9000, 8), Number.POSITIVE_INFINITY);
  t.equal(predictLinear(s.slice(0, 1), now, 10), undefined, 'one sample: no answer');
  t.equal(deriv([]), undefined);
});

t.test('holt_winters: a straight line is followed exactly; bad factors give no answer', async (t) => {
  const v = Array.from({ length: 20 }, (_, i) => 3 + 0.5 * i);
  t.ok(close(doubleExponentialSmoothing(v, 0.3, 0.6), v.at(-1)!));
  t.equal(doubleExponentialSmoothing(v, 0, 0.5), undefined);
  t.equal(doubleExponentialSmoothing(v, 0.5, 1), undefined);
  t.equal(doubleExponentialSmoothing([1], 0.5, 0.5), undefined);
});

t.test('seasonal Holt-Winters forecasts a trending daily pattern', async (t) => {
  const period = 24;
  const truth = (i: number) => 100 + 0.2 * i + 10 * Math.sin((2 * Math.PI * i) / period);
  const hw = new HoltWinters({ alpha: 0.3, beta: 0.05, gamma: 0.3, period });
  t.equal(hw.forecast(1), undefined, 'nothing before a full period');
  for (let i = 0; i < period * 20; i++) hw.update(truth(i));
  const n = period * 20;
  for (const h of [1, 6, 12, 24, 36]) t.ok(Math.abs(hw.forecast(h)! - truth(n - 1 + h)) < 1, `h=${h}: ${hw.forecast(h)} vs ${truth(n - 1 + h)}`);
  // Without the seasonal terms the same data cannot be forecast as well a quarter period ahead.
  const plain = new HoltWinters({ alpha: 0.3, beta: 0.05, gamma: 0.3, period: 1 });
  for (let i = 0; i < n; i++) plain.update(truth(i));
  t.ok(Math.abs(plain.forecast(6)! - truth(n + 5)) > 3);
  t.throws(() => new HoltWinters({ alpha: 1, beta: 0.1, gamma: 0.1, period: 24 }), RangeError);
  t.throws(() => new HoltWinters({ alpha: 0.5, beta: 0.1, gamma: 0.1, period: 0 }), RangeError);
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

t.test('agrees with Prometheus (promtool test rules) on the same series', { skip: promtool ? false : 'promtool not installed' }, async (t) => {
  // A deterministic noisy trend, one sample a minute.
  let seed = 12345;
  const values = Array.from({ length: 60 }, (_, i) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return Math.round((50 + 0.7 * i + (seed / 2 ** 32) * 10) * 1000) / 1000;
  });
  const cases: Array<{ expr: string; ours: number }> = [];
  const evalSec = 59 * 60 + 30; // between samples, so range-boundary inclusivity does not matter
  const inRange = (rangeMin: number) =>
    values.map((v, i) => ({ timestampMs: i * 60_000, value: v })).filter((s) => s.timestampMs > (evalSec - rangeMin * 60) * 1000 && s.timestampMs <= evalSec * 1000);
  for (const rangeMin of [5, 20, 59]) {
    for (const horizon of [0, 600, 86400]) cases.push({ expr: `predict_linear(x[${rangeMin}m], ${horizon})`, ours: predictLinear(inRange(rangeMin), evalSec * 1000, horizon)! });
    cases.push({ expr: `deriv(x[${rangeMin}m])`, ours: deriv(inRange(rangeMin))! });
    for (const [sf, tf] of [
      [0.3, 0.6],
      [0.8, 0.1],
      [0.05, 0.95],
    ] as const) {
      cases.push({
        expr: `holt_winters(x[${rangeMin}m], ${sf}, ${tf})`,
        ours: doubleExponentialSmoothing(
          inRange(rangeMin).map((s) => s.value),
          sf,
          tf,
        )!,
      });
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'outrider-promtool-'));
  const file = join(dir, 'forecast_test.yml');
  const tests = cases.map((c) => `      - expr: '${c.expr}'\n        eval_time: ${evalSec}s\n        exp_samples:\n          - labels: '{}'\n            value: ${c.ours}\n`).join('');
  writeFileSync(
    file,
    `rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'x'\n        values: '${values.join(' ')}'\n    promql_expr_test:\n${tests}`,
  );
  const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
  if (r.status === 0) {
    t.pass(`all ${cases.length} expressions equal to the last bit`);
    return;
  }
  // promtool compares exactly; accept last-bit differences from summation order, and nothing more.
  const out = r.stdout + r.stderr;
  const failures = [...out.matchAll(/expr: "([^"]+)", time: [^\n]*\n\s*exp: \{\} (\S+)\n\s*got: \{\} (\S+)/g)];
  t.ok(failures.length > 0, out);
  for (const [, expr, , got] of failures) {
    const c = cases.find((k) => k.expr === expr);
    t.ok(c && close(c.ours, Number(got), 1e-12), `${expr}: ours ${c?.ours}, Prometheus ${got}`);
  }
});
