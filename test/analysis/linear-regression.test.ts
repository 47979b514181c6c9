import t from 'tap';
import { linearRegression } from '../../agent/analysis/predict-linear';

// The compensated sums as they were written first (a pair returned per addition): the fit must be the same bits.
function reference(samples: ReadonlyArray<{ timestampMs: number; value: number }>, at: number): { slope: number; intercept: number } | undefined {
  const add = (inc: number, sum: number, c: number): [number, number] => {
    const t = sum + inc;
    return [t, Math.abs(sum) >= Math.abs(inc) ? c + (sum - t + inc) : c + (inc - t + sum)];
  };
  const n = samples.length;
  if (n < 2) return undefined;
  const y0 = samples[0]!.value;
  let constY = true;
  let [sx, cx, sy, cy, sxy, cxy, sx2, cx2] = [0, 0, 0, 0, 0, 0, 0, 0];
  for (const s of samples) {
    if (s.value !== y0) constY = false;
    const x = (s.timestampMs - at) / 1e3;
    [sx, cx] = add(x, sx, cx);
    [sy, cy] = add(s.value, sy, cy);
    [sxy, cxy] = add(x * s.value, sxy, cxy);
    [sx2, cx2] = add(x * x, sx2, cx2);
  }
  if (constY) return Number.isFinite(y0) ? { slope: 0, intercept: y0 } : { slope: NaN, intercept: NaN };
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  const slope = (sxy - (sx * sy) / n) / (sx2 - (sx * sx) / n);
  return { slope, intercept: sy / n - (slope * sx) / n };
}

t.test('the fit is the same, bit for bit, as the compensated sums written out', async (t) => {
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 0; k < 200; k++) {
    const n = 2 + Math.floor(rand() * 300);
    const scale = [1, 1e-9, 1e12, 1e300][k % 4]!;
    const samples = Array.from({ length: n }, (_, i) => ({ timestampMs: 1.7e12 + i * 1000 + Math.floor(rand() * 10), value: (rand() - 0.3) * scale + (k % 5 === 0 ? 0 : i) }));
    const at = 1.7e12 + n * 1000;
    const got = linearRegression(samples, at)!;
    const want = reference(samples, at)!;
    if (!Object.is(got.slope, want.slope) || !Object.is(got.intercept, want.intercept)) t.fail(`case ${k}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  }
  t.same(
    linearRegression(
      [
        { timestampMs: 0, value: 5 },
        { timestampMs: 1000, value: 5 },
      ],
      0,
    ),
    { slope: 0, intercept: 5 },
  );
  t.equal(linearRegression([{ timestampMs: 0, value: 5 }], 0), undefined);
  t.pass('200 random ranges');
});
