/**
 * bin/outrider.js run as a program: its second line is read by sh, which replaces itself with Node. That line must
 * be silent in sh (it once ran `//` as a command and printed "//: Permission denied" on every start) and still be
 * valid JavaScript (a string and a comment) when Node reads the file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';

const launcher = join(__dirname, '..', '..', '..', 'bin', 'outrider.js');
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, OUTRIDER_BUNDLE: '0' };

t.test('started as a program, the launcher writes nothing to stderr and hands over to Node', async (t) => {
  const r = spawnSync(launcher, ['--version'], { env, encoding: 'utf8' });
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr})`);
  t.equal(r.stderr, '', 'nothing on stderr');
  t.match(r.stdout, new RegExp(`^outrider \\S+ \\(node ${process.version.replace(/\./g, '\\.')}\\)`), 'the version line, from the Node on PATH');
});

t.test('run by Node directly, the same line is a string and a comment', async (t) => {
  const r = spawnSync(process.execPath, [launcher, '--version'], { env, encoding: 'utf8' });
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr})`);
  t.equal(r.stderr, '', 'nothing on stderr');
  t.match(r.stdout, /^outrider /, 'the version line');
});

t.test('the launch line gives the agent its V8 flag, malloc arena cap and mmap threshold, and the aggregator none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-launcher-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Preloaded by the Node the launcher starts: prints what it was started with, then exits before the command runs.
  const probe = join(dir, 'probe.js');
  writeFileSync(
    probe,
    'process.stdout.write(JSON.stringify({ arenas: process.env.MALLOC_ARENA_MAX ?? null, tunables: process.env.GLIBC_TUNABLES ?? null, argv: process.execArgv })); process.exit(0);\n',
  );
  type Started = { arenas: string | null; tunables: string | null; argv: string[] };
  const started = (args: string[], extra: NodeJS.ProcessEnv = {}): Started => {
    const rest: NodeJS.ProcessEnv = { ...env, NODE_OPTIONS: `--require=${probe}`, ...extra };
    if (!('MALLOC_ARENA_MAX' in extra)) delete rest.MALLOC_ARENA_MAX;
    if (!('GLIBC_TUNABLES' in extra)) delete rest.GLIBC_TUNABLES;
    const r = spawnSync(launcher, args, { env: rest, encoding: 'utf8' });
    t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr})`);
    return JSON.parse(r.stdout) as Started;
  };
  t.same(started(['agent']), { arenas: '2', tunables: 'glibc.malloc.mmap_threshold=131072', argv: ['--max-semi-space-size=2'] });
  t.same(started(['agent'], { MALLOC_ARENA_MAX: '4' }).arenas, '4', "the environment's own setting is kept");
  t.same(started(['agent'], { GLIBC_TUNABLES: '' }).tunables, '', "the environment's own tunables are kept, empty too");
  t.same(started(['aggregator']), { arenas: null, tunables: null, argv: [] });
});
