import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Config } from '../../agent/config/config';
import { formatProblem, loadConfig } from '../../agent/config/load';
import { referenceYaml } from '../../agent/config/reference';
import { agentKeys } from '../../agent/keys';

const repo = join(__dirname, '..', '..', '..');

t.test('config/outrider.yaml is the generated reference and equals the built-in defaults', async (t) => {
  const text = readFileSync(join(repo, 'config', 'outrider.yaml'), 'utf8');
  t.equal(text, referenceYaml(agentKeys), 'checked-in file is current (run `npm run gen:config` after changing the schema)');
  const { config, problems } = loadConfig({ keys: agentKeys, fileText: text, file: 'config/outrider.yaml' });
  t.same(problems, [], 'parses and validates');
  const defaults = Config.defaults(agentKeys);
  for (const def of agentKeys.all()) {
    t.same(config.get(def.key), defaults.get(def.key), `${def.key} equals the default`);
    t.equal(config.source(def.key), 'file', `${def.key} is written in the file`);
    t.ok(text.includes(def.help), `${def.key} is documented`);
  }
});

t.test('precedence: defaults < file < environment < flags', async (t) => {
  const fileText = 'listen: 127.0.0.1:1111\nlog_level: debug\nstore:\n  stale_after: 2m\n';
  const env = { OUTRIDER_LISTEN: '127.0.0.1:2222', OUTRIDER_STORE_STALE_AFTER: '30s' };
  const flags = new Map([['listen', ['127.0.0.1:3333']]]);
  const { config, problems } = loadConfig({ keys: agentKeys, fileText, env, flags });
  t.same(problems, []);
  t.equal(config.string('listen'), '127.0.0.1:3333', 'flag wins');
  t.equal(config.number('store.stale_after'), 30_000, 'env beats file');
  t.equal(config.string('log_level'), 'debug', 'file beats default');
  t.equal(config.number('http.request_timeout'), 30_000, 'default otherwise');
  t.equal(config.source('listen'), 'flag');
  t.equal(config.source('store.stale_after'), 'env');
});

t.test('flag spelling follows the key: dots stay, underscores become dashes', async (t) => {
  const { config, problems } = loadConfig({
    keys: agentKeys,
    flags: new Map([
      ['store.stale-after', ['10s']],
      ['collectors.disabled', ['loadavg']],
    ]),
  });
  t.same(problems, []);
  t.equal(config.number('store.stale_after'), 10_000);
  t.same(config.list('collectors.disabled'), ['loadavg']);
});

t.test('every problem is reported at once, naming key, value and expectation', async (t) => {
  const fileText = ['listen: nowhere', 'log_level: loud', 'store:', '  stale_after: soon', '  max_series: -5', 'colectors:', '  interval: 1s', 'http:', '  request_timout: 5s'].join('\n');
  const { problems } = loadConfig({ keys: agentKeys, fileText, file: 'bad.yaml', env: { OUTRIDER_COLLECTORS_INTERVAL: 'often' } });
  const byKey = new Map(problems.map((p) => [p.key, p]));
  t.equal(problems.length, 7, problems.map(formatProblem).join('\n'));
  t.match(byKey.get('listen'), { value: '"nowhere"', expected: /HOST:PORT/, where: 'bad.yaml:1' });
  t.match(byKey.get('log_level'), { expected: /one of trace, debug/ });
  t.match(byKey.get('store.stale_after'), { expected: /duration/, where: 'bad.yaml:4' });
  t.match(byKey.get('store.max_series'), { expected: /at least 1/ });
  t.match(byKey.get('colectors'), { expected: /known key/ });
  t.match(byKey.get('http.request_timout'), { expected: /did you mean http.request_timeout/ });
  t.match(byKey.get('collectors.interval'), { source: 'env', where: 'OUTRIDER_COLLECTORS_INTERVAL' });
  t.match(formatProblem(byKey.get('listen')!), /^bad\.yaml:1: listen: got "nowhere", expected HOST:PORT/);
});

t.test('YAML syntax errors and unreadable files are problems, not crashes', async (t) => {
  const { problems } = loadConfig({ keys: agentKeys, fileText: 'listen: [unclosed\n', file: 'x.yaml' });
  t.equal(problems[0]?.key, '<yaml>');
  const missing = loadConfig({ keys: agentKeys, file: '/nonexistent/outrider.yaml' });
  t.match(missing.problems[0], { key: '--config', expected: /no such file/ });
  const notMap = loadConfig({ keys: agentKeys, fileText: '- a\n- b\n' });
  t.match(notMap.problems[0], { key: '<root>' });
  const empty = loadConfig({ keys: agentKeys, fileText: '' });
  t.same(empty.problems, [], 'an empty file is the defaults');
});

t.test('unknown flags are problems; unknown OUTRIDER_ variables are warnings', async (t) => {
  const r = loadConfig({ keys: agentKeys, flags: new Map([['lisen', ['x']]]), env: { OUTRIDER_NOPE: '1', OUTRIDER_NATIVE: '0' } });
  t.match(r.problems, [{ key: '--lisen' }]);
  t.equal(r.warnings.length, 1);
  t.match(r.warnings[0], /OUTRIDER_NOPE/);
});
