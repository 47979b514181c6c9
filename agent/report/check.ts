/**
 * Reporting settings that pass each key's own check but cannot work together: a compression level the codec does not
 * have (every batch would fail to encode and be dropped), and a sendfile minimum above the largest replay body (a
 * backlog would never go as runs, only one batch per request).
 */
import type { Config } from '../config/config';
import type { CrossProblem } from '../config/cross';

/** Highest level of each codec (zlib's gzip and deflate 9, brotli's quality 11; none takes no level). */
const maxLevel: Record<string, number> = { gzip: 9, deflate: 9, brotli: 11 };

export function checkReport(config: Config): CrossProblem[] {
  const out: CrossProblem[] = [];
  const codec = config.string('report.compression');
  const level = config.number('report.compression_level');
  const max = maxLevel[codec];
  if (max !== undefined && level > max) {
    out.push({ key: 'report.compression_level', value: String(level), expected: `0 to ${max} for report.compression ${codec}` });
  }
  const replay = config.number('report.replay_max_body');
  const minRun = config.number('report.sendfile_min_size');
  if (replay > 0 && minRun > replay) {
    out.push({
      key: 'report.sendfile_min_size',
      value: String(minRun),
      expected: `at most report.replay_max_body (${replay} bytes): no run of spooled batches could reach it, so a backlog would replay one batch per request`,
    });
  }
  return out;
}
