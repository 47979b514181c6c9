/**
 * `outrider detect FILE.csv [--out FILE]`: runs the agent's streaming anomaly detector over a NAB-format CSV
 * (`timestamp,value`), point by point in file order, exactly as the agent scores a series online, and writes
 * `timestamp,value,anomaly_score`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { AnomalyDetector } from '../analysis/detector';
import { parseSeriesCsv } from '../analysis/nab-csv';
import { ExitCode, isOutriderError } from '../core/errors';
import { parseArgs } from './args';

export const usage = `Usage: outrider detect FILE.csv [--out FILE]

Scores every row of FILE.csv (header "timestamp,value"; "-" reads stdin) with the agent's streaming anomaly
detector, using only that row and the rows before it, and writes "timestamp,value,anomaly_score" to --out (default
stdout). Scores are in [0, 1]; the agent flags a point at 0.5 and above. Exit code 0 on success, 1 on bad
input or an unreadable file, 2 on a usage error.`;

export async function run(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const args = parseArgs(argv, { out: true });
  if (args.own.has('help') || args.own.has('h')) {
    out.write(usage + '\n');
    return ExitCode.ok;
  }
  const file = args.positionals[0];
  const problems = [...args.errors];
  if (!file) problems.push('no input file given');
  if (args.positionals.length > 1) problems.push(`one input file expected, got ${args.positionals.length}`);
  if (args.flags.size > 0) problems.push(`unknown flag --${[...args.flags.keys()][0]}`);
  if (problems.length > 0 || !file) {
    err.write(`outrider detect: ${problems.join('; ')}\n\n${usage}\n`);
    return ExitCode.badConfig;
  }
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    err.write(`outrider detect: cannot read ${file}: ${(e as Error).message}\n`);
    return ExitCode.failure;
  }
  let series;
  try {
    series = parseSeriesCsv(text, file);
  } catch (e) {
    if (!isOutriderError(e)) throw e;
    err.write(`outrider detect: ${e.message}\n`);
    return ExitCode.failure;
  }
  const detector = new AnomalyDetector();
  const lines = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < series.values.length; i++) {
    const { score } = detector.update(series.timestampsMs[i]!, series.values[i]!);
    lines.push(`${series.timestampText[i]},${series.values[i]},${score}`);
  }
  const body = lines.join('\n') + '\n';
  const target = args.own.get('out')?.at(-1);
  if (target && target !== '-') {
    try {
      writeFileSync(target, body);
    } catch (e) {
      err.write(`outrider detect: cannot write ${target}: ${(e as Error).message}\n`);
      return ExitCode.failure;
    }
  } else {
    out.write(body);
  }
  return ExitCode.ok;
}
