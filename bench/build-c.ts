/** The benchmarks' helper programs in C (bench/*.c): compiled with `cc` into bench/out/ when a benchmark needs one. */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(__dirname, '..', '..');

/** Compiles bench/NAME.c to bench/out/NAME; its path, or undefined when there is no C compiler (or it failed). */
export function buildC(name: string): string | undefined {
  const out = join(repo, 'bench', 'out', name);
  try {
    mkdirSync(join(repo, 'bench', 'out'), { recursive: true });
    execFileSync('cc', ['-O2', '-Wall', '-o', out, join(repo, 'bench', `${name}.c`)], { stdio: 'ignore' });
    return out;
  } catch {
    return undefined;
  }
}
