/**
 * bin/outrider.js run as a program: its second line is read by sh, which replaces itself with Node. That line must
 * be silent in sh (it once ran `//` as a command and printed "//: Permission denied" on every start) and still be
 * valid JavaScript (a string and a comment) when Node reads the file.
 */
import { spawnSync } from 'node:child_process';
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
