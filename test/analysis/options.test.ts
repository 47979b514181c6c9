import t from 'tap';
import { defaultAnalysedFamilies } from '../../agent/analysis/keys';
import { optionsFrom } from '../../agent/analysis/options';
import { loadConfig } from '../../agent/config/load';
import { agentKeys, defaultConfig } from '../../agent/keys';

t.test('the defaults', async (t) => {
  const o = optionsFrom(defaultConfig());
  t.same(o.families, defaultAnalysedFamilies);
  t.match(o, { enabled: true, intervalMs: 10_000, maxSeries: 2000, topK: 10, clearPoints: 30, forecastWindowMs: 900_000, eventsMax: 1000 });
});

t.test('a family that is not a metric name is a clear problem, not a failing round later', async (t) => {
  const { problems } = loadConfig({ keys: agentKeys, fileText: 'analysis:\n  families: [node_load1, "not a name"]\n' });
  t.equal(problems.length, 1);
  t.match(problems[0], { key: 'analysis.families', expected: /metric names.*not a name/ });
  const ok = loadConfig({ keys: agentKeys, fileText: 'analysis:\n  families: [node_load1, node_load1, app_requests_total]\n' });
  t.same(ok.problems, []);
  t.same(optionsFrom(ok.config).families, ['node_load1', 'app_requests_total'], 'duplicates once');
});
