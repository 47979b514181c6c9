/**
 * The scorer against a published result: Numenta HTM's detections on NAB's realTraffic/speed_7578.csv (its results
 * file in the NAB repository: the rows scoring at or above its standard-profile threshold 0.5126953125) must give
 * the per-file standard score NAB published for it, 1.23649741556 (4 detections in windows, 3 outside). Needs the
 * corpus in ../shared/nab; skipped where it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseSeriesCsv, parseTimestamp } from '../../agent/analysis/nab-csv';
import { nabProfiles, prepareFile, scoreAtThreshold } from '../../agent/analysis/nab-scorer';
import { repoRoot } from '../helpers/process';

const corpus = [join(repoRoot, '..', 'shared', 'nab'), join(repoRoot, '..', '..', 'shared', 'nab')].find((d) => existsSync(join(d, 'labels', 'windows.json')));
const threshold = 0.5126953125;
const detections: Record<string, number> = {
  '2015-09-12 00:16:00': 0.544952187004,
  '2015-09-14 17:45:00': 0.52465055532,
  '2015-09-15 06:05:00': 0.58679383224,
  '2015-09-15 14:34:00': 0.565666370505,
  '2015-09-16 14:19:00': 0.544952187004,
  '2015-09-16 17:15:00': 0.544952187004,
  '2015-09-16 17:45:00': 0.608335100359,
};

t.test('Numenta HTM on speed_7578 scores as NAB published', { skip: corpus ? false : 'NAB corpus not found beside the repository' }, async (t) => {
  const name = 'realTraffic/speed_7578.csv';
  const series = parseSeriesCsv(readFileSync(join(corpus!, 'data', name), 'utf8'), name);
  t.equal(series.values.length, 1127);
  const windows = (JSON.parse(readFileSync(join(corpus!, 'labels', 'windows.json'), 'utf8')) as Record<string, Array<[string, string]>>)[name]!;
  const scores = series.timestampText.map((ts) => detections[ts] ?? 0);
  t.equal(scores.filter((s) => s > 0).length, 7);
  const file = prepareFile(
    name,
    series.timestampsMs,
    scores,
    windows.map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)] as [number, number]),
  );
  const r = scoreAtThreshold([file], nabProfiles[0]!, threshold);
  t.ok(Math.abs(r.raw - 1.23649741556) < 1e-9, `raw ${r.raw}`);
  t.same([r.tp, r.fn, r.fp], [3, 1, 3], 'three of four windows detected, three detections outside');
});
