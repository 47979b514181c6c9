import t from 'tap';
import { Config } from '../../agent/config/config';
import { loadConfig } from '../../agent/config/load';
import { envLabels, podEnv, withEnvLabels } from '../../agent/deploy/pod-labels';
import { agentKeys } from '../../agent/keys';

const podVars = { OUTRIDER_POD_NAME: 'web-7d4b9c-x2x9k', OUTRIDER_POD_NAMESPACE: 'shop', OUTRIDER_NODE_NAME: 'node-3', OUTRIDER_POD_UID: '2a1f-uid' };

t.test('downward-API variables become pod, namespace and node labels', async (t) => {
  t.same(envLabels(Config.defaults(agentKeys), podVars), { namespace: 'shop', node: 'node-3', pod: 'web-7d4b9c-x2x9k' });
  t.same(envLabels(Config.defaults(agentKeys), {}), {}, 'outside a pod: no labels');
  t.same(envLabels(Config.defaults(agentKeys), { OUTRIDER_NODE_NAME: '' }), {}, 'empty means unset');
  t.same(envLabels(Config.defaults(agentKeys).with({ 'labels.from_env': {} }), podVars), {}, '{} turns it off');
  t.same(envLabels(Config.defaults(agentKeys).with({ 'labels.from_env': { k8s_pod_uid: 'OUTRIDER_POD_UID' } }), podVars), { k8s_pod_uid: '2a1f-uid' });
});

t.test('the variables raise no unknown-variable warnings', async (t) => {
  const { warnings, problems } = loadConfig({ keys: agentKeys, env: podVars });
  t.same(warnings, []);
  t.same(problems, []);
  t.same(Object.values(podEnv).sort(), Object.keys(podVars).sort());
});

t.test('labels.from_env from the environment and its checks', async (t) => {
  const ok = loadConfig({ keys: agentKeys, env: { OUTRIDER_LABELS_FROM_ENV: 'node=OUTRIDER_NODE_NAME' } });
  t.same(ok.problems, []);
  t.same(ok.config.get('labels.from_env'), { node: 'OUTRIDER_NODE_NAME' });
  t.equal(loadConfig({ keys: agentKeys, fileText: 'labels:\n  from_env:\n    bad-label: X\n' }).problems.length, 1);
  t.equal(loadConfig({ keys: agentKeys, fileText: 'labels:\n  from_env:\n    pod: "not a var"\n' }).problems.length, 1);
});

t.test("a series' own labels win over the env labels", async (t) => {
  const own = { pod: 'mine' };
  t.same(withEnvLabels(own, { pod: 'p', node: 'n' }), { pod: 'mine', node: 'n' });
  t.equal(withEnvLabels(own, {}), own, 'no copy when nothing is added');
});
