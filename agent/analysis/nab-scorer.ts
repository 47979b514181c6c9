/**
 * The Numenta Anomaly Benchmark's scoring rules, written from its published description (the NAB whitepaper and
 * the rules its scorer documents), so the agent's detector is measured the way published detectors were.
 *
 * Per file: the first min(floor(0.15 × rows), 750) rows are probationary and are not scored at all. Every other row
 * carries a weight from the scaled sigmoid σ(p) = 2 / (1 + e^(5p)) − 1:
 *  - inside a window of w rows ending at row r, row i has p = −(r − i + 1) / w (−1 at the window's first row), and
 *    its true-positive weight is σ(p) / σ(−1) × tp (exactly tp at the window's start, falling to ≈0 at its end);
 *  - outside every window, row i after a window of w rows that ended at row r has p = (i − r) / (w − 1) and its
 *    false-positive weight is σ(p) × fp (small just after the window, −fp three widths later); before any window
 *    it is −fp.
 * A row is a detection when its score ≥ the threshold. A window's part is the best (earliest) of its detections,
 * or −fn when it has none; false positives add up. The raw score sums over all files; the threshold is swept over
 * every distinct score to maximise it; the normalised score is 100 × (raw − null) / (perfect − null), where null
 * detects nothing (every window −fn) and perfect detects every window at its first row (tp each).
 */

export interface CostProfile {
  name: string;
  tp: number;
  fp: number;
  fn: number;
}

/** NAB's three application profiles. */
export const nabProfiles: readonly CostProfile[] = [
  { name: 'standard', tp: 1.0, fp: 0.11, fn: 1.0 },
  { name: 'reward_low_fp', tp: 1.0, fp: 0.22, fn: 1.0 },
  { name: 'reward_low_fn', tp: 1.0, fp: 0.11, fn: 2.0 },
];

/** σ(p): +0.987 at p = −1, 0 at p = 0, −0.987 at p = 1, −1 from p = 3. */
export function scaledSigmoid(p: number): number {
  if (p >= 3) return -1;
  return 2 / (1 + Math.exp(5 * p)) - 1;
}

const maxTp = scaledSigmoid(-1);

/** One file, ready for scoring: its scorable rows (probation removed), their weights and windows. */
export interface PreparedFile {
  name: string;
  /** Anomaly score of each scorable row. */
  scores: Float64Array;
  /** Unweighted position weight: σ(p)/σ(−1) inside a window, σ(p) outside. */
  weights: Float64Array;
  /** Window index (0-based, within this file) of each scorable row, or −1 outside every window. */
  windows: Int32Array;
  /** Windows that have at least one scorable row (those that can be missed). */
  windowCount: number;
  /** All labelled windows, scorable or not (the perfect detector's count, as NAB normalises). */
  labelledWindows: number;
  probationRows: number;
}

export function probationLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/**
 * Maps each row to its window and weight. `windows` holds [start, end] timestamps (ms, inclusive); a window covers
 * the rows whose timestamps fall inside it. Windows must not overlap and must be in time order.
 */
export function prepareFile(name: string, timestampsMs: ArrayLike<number>, scores: ArrayLike<number>, windows: ReadonlyArray<readonly [number, number]>): PreparedFile {
  const n = timestampsMs.length;
  if (scores.length !== n) throw new RangeError(`${name}: ${n} timestamps but ${scores.length} scores`);
  const probation = probationLength(n);
  const winOf = new Int32Array(n).fill(-1);
  const bounds: Array<[number, number]> = [];
  let row = 0;
  for (const [start, end] of windows) {
    while (row < n && timestampsMs[row]! < start) row++;
    const first = row;
    while (row < n && timestampsMs[row]! <= end) winOf[row++] = bounds.length;
    if (row > first) bounds.push([first, row - 1]);
  }
  const out: PreparedFile = {
    name,
    scores: new Float64Array(n - probation),
    weights: new Float64Array(n - probation),
    windows: new Int32Array(n - probation),
    windowCount: 0,
    labelledWindows: windows.length,
    probationRows: probation,
  };
  const scorable = new Set<number>();
  let prevEnd = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const w = winOf[i]!;
    let weight: number;
    if (w >= 0) {
      const [first, last] = bounds[w]!;
      const width = last - first + 1;
      weight = scaledSigmoid(-(last - i + 1) / width) / maxTp;
      if (i === last) {
        prevEnd = last;
        prevWidth = width;
      }
    } else if (prevEnd < 0) {
      weight = -1;
    } else {
      // A one-row window has no width to scale by; NAB's formula divides by zero there (→ +∞ → −1).
      weight = prevWidth > 1 ? scaledSigmoid((i - prevEnd) / (prevWidth - 1)) : -1;
    }
    if (i < probation) continue;
    const j = i - probation;
    out.scores[j] = scores[i]!;
    out.weights[j] = weight;
    out.windows[j] = w;
    if (w >= 0) scorable.add(w);
  }
  // Renumber so that scorable windows are 0..windowCount-1.
  const renumber = new Map<number, number>();
  for (const w of [...scorable].sort((a, b) => a - b)) renumber.set(w, renumber.size);
  for (let j = 0; j < out.windows.length; j++) if (out.windows[j]! >= 0) out.windows[j] = renumber.get(out.windows[j]!)!;
  out.windowCount = renumber.size;
  return out;
}

export interface ThresholdResult {
  threshold: number;
  /** Raw (unnormalised) score summed over the files. */
  raw: number;
  /** Windows detected, windows missed, detections outside every window. */
  tp: number;
  fn: number;
  fp: number;
}

/** Raw score of `files` with detections at score ≥ threshold. */
export function scoreAtThreshold(files: readonly PreparedFile[], profile: CostProfile, threshold: number): ThresholdResult {
  let raw = 0;
  let tp = 0;
  let fn = 0;
  let fp = 0;
  for (const f of files) {
    const best = new Float64Array(f.windowCount).fill(Number.NaN);
    for (let j = 0; j < f.scores.length; j++) {
      if (!(f.scores[j]! >= threshold)) continue;
      const w = f.windows[j]!;
      if (w < 0) {
        raw += f.weights[j]! * profile.fp;
        fp++;
      } else if (Number.isNaN(best[w]!)) best[w] = f.weights[j]!;
    }
    for (let w = 0; w < f.windowCount; w++) {
      if (Number.isNaN(best[w]!)) {
        raw -= profile.fn;
        fn++;
      } else {
        raw += best[w]! * profile.tp;
        tp++;
      }
    }
  }
  return { threshold, raw, tp, fn, fp };
}

/**
 * Sweeps every distinct score (highest first) as the threshold over all files together and returns the result at
 * each; the first entry (threshold +∞) detects nothing. O(rows · log rows).
 */
export function sweepThresholds(files: readonly PreparedFile[], profile: CostProfile): ThresholdResult[] {
  let total = 0;
  for (const f of files) total += f.scores.length;
  const score = new Float64Array(total);
  const weight = new Float64Array(total);
  const win = new Int32Array(total);
  let windowTotal = 0;
  let k = 0;
  for (const f of files) {
    for (let j = 0; j < f.scores.length; j++, k++) {
      score[k] = f.scores[j]!;
      weight[k] = f.weights[j]!;
      win[k] = f.windows[j]! >= 0 ? f.windows[j]! + windowTotal : -1;
    }
    windowTotal += f.windowCount;
  }
  const order = Array.from({ length: total }, (_, i) => i).filter((i) => !Number.isNaN(score[i]!));
  order.sort((a, b) => score[b]! - score[a]!);
  const part = new Float64Array(windowTotal).fill(-profile.fn);
  const hit = new Uint8Array(windowTotal);
  let raw = -profile.fn * windowTotal;
  let tp = 0;
  let fp = 0;
  const results: ThresholdResult[] = [{ threshold: Number.POSITIVE_INFINITY, raw, tp, fn: windowTotal, fp }];
  for (let idx = 0; idx < order.length; idx++) {
    const i = order[idx]!;
    const w = win[i]!;
    if (w < 0) {
      raw += weight[i]! * profile.fp;
      fp++;
    } else {
      const v = weight[i]! * profile.tp;
      if (!hit[w]) {
        hit[w] = 1;
        tp++;
        raw += v - part[w]!;
        part[w] = v;
      } else if (v > part[w]!) {
        raw += v - part[w]!;
        part[w] = v;
      }
    }
    const next = order[idx + 1];
    if (next === undefined || score[next]! !== score[i]!) results.push({ threshold: score[i]!, raw, tp, fn: windowTotal - tp, fp });
  }
  return results;
}

export function bestThreshold(files: readonly PreparedFile[], profile: CostProfile): ThresholdResult {
  let best: ThresholdResult | undefined;
  for (const r of sweepThresholds(files, profile)) if (!best || r.raw > best.raw) best = r;
  return best!;
}

/** The null detector's raw score (nothing detected) and the perfect detector's (every window at its start). */
export function baselines(files: readonly PreparedFile[], profile: CostProfile): { nullRaw: number; perfectRaw: number } {
  let scorable = 0;
  let labelled = 0;
  for (const f of files) {
    scorable += f.windowCount;
    labelled += f.labelledWindows;
  }
  return { nullRaw: -profile.fn * scorable, perfectRaw: profile.tp * labelled };
}

/** NAB's normalised score: 0 for the null detector, 100 for the perfect one. */
export function normalise(raw: number, files: readonly PreparedFile[], profile: CostProfile): number {
  const { nullRaw, perfectRaw } = baselines(files, profile);
  if (perfectRaw === nullRaw) return 0;
  return (100 * (raw - nullRaw)) / (perfectRaw - nullRaw);
}
