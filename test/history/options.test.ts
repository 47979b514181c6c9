import t from 'tap';
import { optionsFrom } from '../../agent/history/options';
import { loadConfig } from '../../agent/config/load';
import { agentKeys, checkAcross, defaultConfig } from '../../agent/keys';

t.test('options parsed once, with defaults', async (t) => {
  t.same(optionsFrom(defaultConfig()), {
    enabled: true,
    stepMs: 1000, // the collection interval's default
    retentionMs: 3_600_000,
    maxSeries: 20_000,
    maxBytes: 64 * 1024 * 1024,
    stateDir: undefined,
    saveIntervalMs: 300_000,
  });
  t.equal(optionsFrom(defaultConfig().with({ 'history.state_dir': '/var/lib/x' })).stateDir, '/var/lib/x');
});

t.test('a retention shorter than a step, or of more than a million steps, is refused with its key', async (t) => {
  t.match(checkAcross(defaultConfig().with({ 'history.step': 5000, 'history.retention': 2000 })), [{ key: 'history.retention', expected: /at least history.step/ }]);
  t.match(checkAcross(defaultConfig().with({ 'history.step': 100, 'history.retention': 200_000_000 })), [{ key: 'history.retention', expected: /at most 1000000 times/ }]);
  t.same(checkAcross(defaultConfig().with({ 'history.enabled': false, 'history.step': 5000, 'history.retention': 2000 })), [], 'not checked while off');
  t.same(checkAcross(defaultConfig()), []);
});

t.test('the step follows the collection interval unless set: one sample a collection, as Prometheus keeps one a scrape', async (t) => {
  t.equal(optionsFrom(defaultConfig().with({ 'collectors.interval': 5000 })).stepMs, 5000, 'history.step 0 (the default): the collection interval');
  t.equal(optionsFrom(defaultConfig().with({ 'collectors.interval': 5000, 'history.step': 1000 })).stepMs, 1000, 'a step set is kept');
  const flags = (step: string): Map<string, string[]> => new Map([['history.step', [step]]]);
  t.same(loadConfig({ keys: agentKeys, flags: flags('0s') }).problems, [], '0s accepted');
  t.same(loadConfig({ keys: agentKeys, flags: flags('100ms') }).problems, []);
  t.match(loadConfig({ keys: agentKeys, flags: flags('50ms') }).problems, [{ key: 'history.step', expected: /0 \(the collection interval\) or at least 100ms/ }]);
});
