/** config/rules: the fleet recording rules pass `promtool check rules` and their unit tests (`promtool test rules`). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';

const dir = path.resolve(__dirname, '..', '..', '..', 'config', 'rules');
const have = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;
const ci = process.env.CI === 'true';
if (!have && ci) t.fail('missing promtool in CI: apt-get install -y prometheus');

t.test('the fleet recording rules are valid and compute the fleet totals from per-agent series', { skip: !have && !ci ? 'needs promtool (Debian package prometheus)' : false }, async (t) => {
  const check = spawnSync('promtool', ['check', 'rules', 'outrider-fleet.yml'], { cwd: dir, encoding: 'utf8' });
  t.equal(check.status, 0, check.stdout + check.stderr);
  const test = spawnSync('promtool', ['test', 'rules', 'outrider-fleet.test.yml'], { cwd: dir, encoding: 'utf8' });
  t.equal(test.status, 0, test.stdout + test.stderr);
});
