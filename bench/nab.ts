/**
 * NAB benchmark: runs the agent's anomaly detector over every file of the NAB corpus part in ../shared/nab and
 * scores it with NAB's rules (agent/analysis/nab-scorer.ts) for the three profiles, with the threshold swept on the
 * whole corpus (as NAB does), at the detector's own fixed threshold, and on two halves of the files with the
 * threshold chosen on the other half. Also measures the detector's CPU time per point.
 *
 *   node dist/bench/nab.js [--data DIR] [--files] [--params '{"k":v}'] [--baselines]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AnomalyDetector, type DetectorOptions } from '../agent/analysis/detector';
import { parseSeriesCsv, parseTimestamp, type Series } from '../agent/analysis/nab-csv';
import { bestThreshold, nabProfiles, normalise, prepareFile, scoreAtThreshold, type PreparedFile } from '../agent/analysis/nab-scorer';

interface NabFile {
  name: string;
  series: Series;
  windows: Array<[number, number]>;
}

function findCorpus(explicit: string | undefined): string {
  const root = resolve(__dirname, '..', '..');
  const candidates = explicit ? [explicit] : [process.env.OUTRIDER_NAB_DIR, join(root, '..', 'shared', 'nab'), join(root, '..', '..', 'shared', 'nab')];
  for (const c of candidates) if (c && existsSync(join(c, 'labels', 'windows.json'))) return c;
  throw new Error(`NAB corpus not found (looked in ${candidates.filter(Boolean).join(', ')}); pass --data DIR`);
}

function loadCorpus(dir: string): NabFile[] {
  const windows = JSON.parse(readFileSync(join(dir, 'labels', 'windows.json'), 'utf8')) as Record<string, Array<[string, string]>>;
  const files: NabFile[] = [];
  for (const category of readdirSync(join(dir, 'data')).sort()) {
    for (const f of readdirSync(join(dir, 'data', category)).sort()) {
      if (!f.endsWith('.csv')) continue;
      const name = `${category}/${f}`;
      const series = parseSeriesCsv(readFileSync(join(dir, 'data', category, f), 'utf8'), name);
      files.push({ name, series, windows: (windows[name] ?? []).map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)] as [number, number]) });
    }
  }
  return files;
}

function detect(series: Series, params: Partial<DetectorOptions>): Float64Array {
  const d = new AnomalyDetector(params);
  const out = new Float64Array(series.values.length);
  for (let i = 0; i < out.length; i++) out[i] = d.update(series.timestampsMs[i]!, series.values[i]!).score;
  return out;
}

/** CPU µs per point for the detector alone (best of three passes over the whole corpus). */
function cpuPerPoint(files: NabFile[], params: Partial<DetectorOptions>): number {
  let best = Number.POSITIVE_INFINITY;
  let points = 0;
  for (const f of files) points += f.series.values.length;
  for (let pass = 0; pass < 3; pass++) {
    const start = process.cpuUsage();
    let sink = 0;
    for (const f of files) {
      const d = new AnomalyDetector(params);
      const { timestampsMs: t, values: v } = f.series;
      for (let i = 0; i < v.length; i++) sink += d.update(t[i]!, v[i]!).score;
    }
    const used = process.cpuUsage(start);
    if (Number.isNaN(sink)) throw new Error('unreachable');
    best = Math.min(best, (used.user + used.system) / points);
  }
  return best;
}

function fmt(x: number): string {
  return x.toFixed(1).padStart(6);
}

function main(argv: string[]): void {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const params = JSON.parse(arg('params') ?? '{}') as Partial<DetectorOptions>;
  const corpus = loadCorpus(findCorpus(arg('data')));
  const prep = (scoresOf: (f: NabFile) => ArrayLike<number>) => corpus.map((f) => prepareFile(f.name, f.series.timestampsMs, scoresOf(f), f.windows));
  const files = prep((f) => detect(f.series, params));
  const threshold = new AnomalyDetector(params).options.threshold;
  let points = 0;
  for (const f of corpus) points += f.series.values.length;
  const windows = corpus.reduce((s, f) => s + f.windows.length, 0);
  console.log(`NAB corpus: ${corpus.length} files, ${points} points, ${windows} windows`);

  if (argv.includes('--baselines')) {
    // Scorer checks: the perfect detector (1 at each window's first row) and the null detector (always 0).
    const perfect = prep((f) => f.series.timestampsMs.map((t) => (f.windows.some(([a]) => a === t) ? 1 : 0)));
    const nul = prep((f) => f.series.values.map(() => 0));
    for (const p of nabProfiles) {
      console.log(`scorer check ${p.name.padEnd(14)} perfect ${normalise(bestThreshold(perfect, p).raw, perfect, p).toFixed(2)}  null ${normalise(bestThreshold(nul, p).raw, nul, p).toFixed(2)}`);
    }
  }

  console.log('\nprofile          swept   thr    at fixed thr ' + threshold + '   TP  FN  FP');
  for (const p of nabProfiles) {
    const best = bestThreshold(files, p);
    const fixed = scoreAtThreshold(files, p, threshold);
    console.log(
      `${p.name.padEnd(15)} ${fmt(normalise(best.raw, files, p))}  ${best.threshold.toFixed(3)}  ${fmt(normalise(fixed.raw, files, p))}         ${String(fixed.tp).padStart(4)}${String(fixed.fn).padStart(4)}${String(fixed.fp).padStart(4)}`,
    );
  }

  // Honest split: files alternate between halves within each category; the threshold comes from the other half.
  const halves: [PreparedFile[], PreparedFile[]] = [[], []];
  const seen = new Map<string, number>();
  for (const f of files) {
    const cat = f.name.split('/')[0]!;
    const k = seen.get(cat) ?? 0;
    seen.set(cat, k + 1);
    halves[k % 2]!.push(f);
  }
  console.log('\nheld-out halves (threshold chosen on the other half), standard profile:');
  const std = nabProfiles[0]!;
  for (const [train, test] of [
    [0, 1],
    [1, 0],
  ] as const) {
    const thr = bestThreshold(halves[train]!, std).threshold;
    const r = scoreAtThreshold(halves[test]!, std, thr);
    const own = normalise(bestThreshold(halves[test]!, std).raw, halves[test]!, std);
    console.log(
      `  half ${test} (${halves[test]!.length} files): ${normalise(r.raw, halves[test]!, std).toFixed(1)} at threshold ${thr.toFixed(3)} from half ${train}; ${own.toFixed(1)} with its own best`,
    );
  }

  if (argv.includes('--files')) {
    console.log('\nper file (standard, fixed threshold):');
    for (const f of files) {
      const r = scoreAtThreshold([f], std, threshold);
      console.log(`  ${f.name.padEnd(58)} raw ${r.raw.toFixed(2).padStart(7)}  tp ${r.tp} fn ${r.fn} fp ${r.fp}`);
    }
  }
  if (!argv.includes('--no-cpu')) console.log(`\ndetector CPU: ${cpuPerPoint(corpus, params).toFixed(3)} µs per point per series (${process.version})`);
}

main(process.argv.slice(2));
