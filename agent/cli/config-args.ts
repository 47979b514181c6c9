/** Shared by the commands that read the config: argv + environment + file → a validated Config or problems. */
import { loadConfig, LoadResult } from '../config/load';
import { agentKeys, checkAcross } from '../keys';
import { ParsedArgs } from './args';
import { applyCollectorSwitches } from './collector-flags';

export function configFromArgs(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const file = args.own.get('config')?.at(-1) ?? env.OUTRIDER_CONFIG;
  const result = loadConfig({ keys: agentKeys, ...(file !== undefined ? { file } : {}), env, flags: args.flags });
  result.config = applyCollectorSwitches(result.config, args.collectors);
  if (result.problems.length === 0) result.problems.push(...checkAcross(result.config));
  for (const e of args.errors) result.problems.push({ key: '<args>', value: '', expected: e, source: 'flag', where: 'command line' });
  return result;
}
