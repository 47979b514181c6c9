/** `outrider check-rules FILE...`: checks Prometheus rule files as `promtool check rules` does. */
import fs from 'node:fs';
import { ExitCode } from '../core/errors';
import { formatProblem, parseRuleFile } from '../rules/file';
import { rulesCompiler } from '../rules/index';

export const usage = `Usage: outrider check-rules FILE...

Checks Prometheus rule files as the agent loads them (rules.files): the YAML, every field, each expression against
the query engine and each alert template. Prints "SUCCESS: N rules found" per good file and every problem of a bad
one, with its line and column. Exit code 0 when every file is good, 1 when one is not (as promtool check rules).`;

export async function run(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(usage + '\n');
    return ExitCode.ok;
  }
  const files = argv.filter((a) => !a.startsWith('-'));
  const unknown = argv.filter((a) => a.startsWith('-'));
  if (unknown.length > 0 || files.length === 0) {
    err.write(`outrider check-rules: ${unknown.length > 0 ? `unknown flag ${unknown[0]}` : 'no file given'}\n\n${usage}\n`);
    return ExitCode.badConfig;
  }
  const compile = rulesCompiler();
  let failed = false;
  for (const f of files) {
    out.write(`Checking ${f}\n`);
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (e) {
      err.write(`  FAILED:\n${f}: ${(e as Error).message}\n\n`);
      failed = true;
      continue;
    }
    const { groups, problems } = parseRuleFile(f, text, compile);
    if (problems.length > 0) {
      err.write('  FAILED:\n');
      for (const p of problems) err.write(formatProblem(p) + '\n');
      err.write('\n');
      failed = true;
      continue;
    }
    const n = groups.reduce((s, g) => s + g.rules.length, 0);
    out.write(`  SUCCESS: ${n} rules found\n\n`);
  }
  return failed ? ExitCode.failure : ExitCode.ok;
}
