/** The launcher turns Node's on-disk compile cache on where Node has it (22.1+; docs/footprint.md). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/process';

const supported = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

function run(env: Record<string, string>): string {
  return execFileSync(process.execPath, [join(repoRoot, 'bin', 'outrider.js'), '--version'], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String);

t.test('the launcher writes the compile cache where NODE_COMPILE_CACHE points', { skip: supported ? false : `Node ${process.version} has no compile cache` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-ccache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.match(run({ NODE_COMPILE_CACHE: dir }), /^outrider /);
  t.ok(filesUnder(dir).length > 0, 'cache entries written');
  t.match(run({ NODE_COMPILE_CACHE: dir }), /^outrider /, 'and a second start reads them');
});

t.test('a cache directory that cannot be made never stops the launcher', async (t) => {
  // A path below a regular file: the directory cannot be created.
  const blocked = join(repoRoot, 'package.json', 'cache');
  t.match(run({ NODE_COMPILE_CACHE: blocked }), /^outrider /);
});
