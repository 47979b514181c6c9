import t from 'tap';
import { baselines, bestThreshold, nabProfiles, normalise, prepareFile, probationLength, scoreAtThreshold, sweepThresholds } from '../../agent/analysis/nab-scorer';

const [standard, lowFp, lowFn] = nabProfiles as [(typeof nabProfiles)[0], (typeof nabProfiles)[0], (typeof nabProfiles)[0]];
// The scaled sigmoid written independently: 2/(1+e^(5p)) − 1 = tanh(−5p/2).
const sig = (p: number) => Math.tanh((-5 * p) / 2);

// 20 rows one second apart; probation is floor(0.15 × 20) = 3 rows; one window over rows 10..13 (width 4).
const ts = Array.from({ length: 20 }, (_, i) => i * 1000);
const windows: Array<[number, number]> = [[10_000, 13_000]];
const withScores = (hits: Record<number, number>) => ts.map((_, i) => hits[i] ?? 0);
const file = (hits: Record<number, number>) => prepareFile('f', ts, withScores(hits), windows);

t.test('probation: 15 % of the rows, at most 750', async (t) => {
  t.equal(probationLength(20), 3);
  t.equal(probationLength(4000), 600);
  t.equal(probationLength(22000), 750);
});

t.test('null and perfect detectors normalise to 0 and 100 in every profile', async (t) => {
  for (const p of nabProfiles) {
    const none = [file({})];
    t.equal(scoreAtThreshold(none, p, 0.5).raw, -p.fn);
    t.equal(normalise(scoreAtThreshold(none, p, 0.5).raw, none, p), 0);
    const perfect = [file({ 10: 1 })];
    t.ok(Math.abs(scoreAtThreshold(perfect, p, 0.5).raw - p.tp) < 1e-12);
    t.ok(Math.abs(normalise(bestThreshold(perfect, p).raw, perfect, p) - 100) < 1e-9);
  }
});

t.test('a detection late in the window earns less; only the first detection in a window counts', async (t) => {
  const late = scoreAtThreshold([file({ 13: 1 })], standard, 0.5);
  t.ok(Math.abs(late.raw - sig(-0.25) / sig(-1)) < 1e-9, `got ${late.raw}`);
  t.ok(late.raw > 0.5 && late.raw < 0.6);
  const twice = scoreAtThreshold([file({ 11: 1, 13: 1 })], standard, 0.5);
  t.ok(Math.abs(twice.raw - sig(-0.75) / sig(-1)) < 1e-9);
  t.same([twice.tp, twice.fn, twice.fp], [1, 0, 0]);
});

t.test('false positives: full cost before any window, sigmoid-weighted after one, ignored in probation', async (t) => {
  t.ok(Math.abs(scoreAtThreshold([file({ 5: 1 })], standard, 0.5).raw - (-1 - 0.11)) < 1e-12);
  t.ok(Math.abs(scoreAtThreshold([file({ 5: 1 })], lowFp, 0.5).raw - (-1 - 0.22)) < 1e-12);
  t.ok(Math.abs(scoreAtThreshold([file({ 1: 1 })], standard, 0.5).raw - -1) < 1e-12, 'probationary detection ignored');
  // Row 16 is (16 − 13) / (4 − 1) = 1 window-width past the window; row 19 is 2 widths past.
  t.ok(Math.abs(scoreAtThreshold([file({ 16: 1 })], standard, 0.5).raw - (-1 + 0.11 * sig(1))) < 1e-12);
  t.ok(Math.abs(scoreAtThreshold([file({ 19: 1 })], standard, 0.5).raw - (-1 + 0.11 * sig(2))) < 1e-12);
  // A detection right after the window costs less than one far from it.
  t.ok(scoreAtThreshold([file({ 14: 1 })], standard, 0.5).raw > scoreAtThreshold([file({ 19: 1 })], standard, 0.5).raw);
  t.equal(scoreAtThreshold([file({})], lowFn, 0.5).raw, -2);
});

t.test('threshold sweep: every distinct score, highest first, detections at score ≥ threshold', async (t) => {
  const f = [file({ 5: 0.95, 10: 0.9, 16: 0.5 })];
  const sweep = sweepThresholds(f, standard);
  t.same(
    sweep.map((r) => r.threshold),
    [Infinity, 0.95, 0.9, 0.5, 0],
  );
  t.ok(Math.abs(sweep[1]!.raw - (-1 - 0.11)) < 1e-12);
  t.ok(Math.abs(sweep[2]!.raw - (1 - 0.11)) < 1e-12);
  t.ok(Math.abs(sweep[3]!.raw - (1 - 0.11 + 0.11 * sig(1))) < 1e-12);
  const best = bestThreshold(f, standard);
  t.equal(best.threshold, 0.9);
  // The sweep agrees with scoring at each of its thresholds.
  for (const r of sweep.slice(1)) t.ok(Math.abs(scoreAtThreshold(f, standard, r.threshold).raw - r.raw) < 1e-12);
});

t.test('several files add up; a window inside probation cannot be missed but still counts for perfect', async (t) => {
  const probationWindow = prepareFile('g', ts, withScores({}), [[1000, 2000]]);
  t.equal(probationWindow.windowCount, 0);
  t.equal(probationWindow.labelledWindows, 1);
  const both = [file({ 10: 1 }), probationWindow, prepareFile('h', ts, withScores({ 8: 1 }), [])];
  const r = scoreAtThreshold(both, standard, 0.5);
  t.ok(Math.abs(r.raw - (1 - 0.11)) < 1e-12);
  t.same(baselines(both, standard), { nullRaw: -1, perfectRaw: 2 });
  t.ok(Math.abs(normalise(r.raw, both, standard) - (100 * (1 - 0.11 + 1)) / 3) < 1e-9);
});

t.test('mismatched lengths are an error', async (t) => {
  t.throws(() => prepareFile('x', [1, 2, 3], [0, 0], []), RangeError);
});
