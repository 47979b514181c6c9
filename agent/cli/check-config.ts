/** `outrider check-config FILE`: validates a config file (plus environment and flags) and prints every problem. */
import { ExitCode } from '../core/errors';
import { formatProblem, loadConfig } from '../config/load';
import { agentKeys, checkAcross } from '../keys';
import { parseArgs } from './args';

export const usage = `Usage: outrider check-config FILE [flags]

Validates FILE (and any OUTRIDER_* environment variables and flags, as the agent would read them) and prints
every problem at once, each naming the key, the value and what is expected. Exit code 0 when valid, 2 when not.`;

export async function run(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const args = parseArgs(argv);
  if (args.own.has('help') || args.own.has('h')) {
    out.write(usage + '\n');
    return ExitCode.ok;
  }
  const file = args.positionals[0] ?? args.own.get('config')?.at(-1);
  if (!file) {
    err.write(`outrider check-config: no file given\n\n${usage}\n`);
    return ExitCode.badConfig;
  }
  const { config, problems, warnings } = loadConfig({ keys: agentKeys, file, env: process.env, flags: args.flags });
  if (problems.length === 0) problems.push(...checkAcross(config));
  for (const e of args.errors) problems.push({ key: '<args>', value: '', expected: e, source: 'flag', where: 'command line' });
  for (const w of warnings) err.write(`warning: ${w}\n`);
  if (problems.length === 0) {
    out.write(`${file}: configuration is valid\n`);
    return ExitCode.ok;
  }
  for (const p of problems) err.write(formatProblem(p) + '\n');
  err.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} found\n`);
  return ExitCode.badConfig;
}
