/** core/paths and core/labels: the host roots and the label enrichment that components share. */
import t from 'tap';
import { Config } from '../../agent/config/config';
import { envLabels, withEnvLabels } from '../../agent/core/labels';
import { resolvePaths } from '../../agent/core/options';
import { agentKeys } from '../../agent/keys';

t.test('procfs and sysfs follow path.rootfs unless set', async (t) => {
  t.same(resolvePaths(Config.defaults(agentKeys)), { rootfs: '/', procfs: '/proc', sysfs: '/sys' });
  t.same(resolvePaths(Config.defaults(agentKeys).with({ 'path.rootfs': '/host' })), { rootfs: '/host', procfs: '/host/proc', sysfs: '/host/sys' });
  t.same(
    resolvePaths(Config.defaults(agentKeys).with({ 'path.rootfs': '/host', 'path.procfs': '/proc' })),
    { rootfs: '/host', procfs: '/proc', sysfs: '/host/sys' },
    'a procfs set explicitly (even to the default) stays',
  );
});

t.test('labels from the environment: unset and empty variables add nothing; the series keeps its own labels', async (t) => {
  const config = Config.defaults(agentKeys).with({ 'labels.from_env': { pod: 'P', namespace: 'NS', node: 'N' } });
  t.same(envLabels(config, { P: 'web-1', NS: '', OTHER: 'x' }), { pod: 'web-1' });
  t.same(envLabels(config, {}), {});
  const own = { pod: 'mine', a: '1' };
  t.same(withEnvLabels(own, { pod: 'web-1', node: 'n1' }), { pod: 'mine', a: '1', node: 'n1' });
  t.equal(withEnvLabels(own, {}), own, 'no copy when nothing is added');
  t.equal(withEnvLabels(own, { pod: 'web-1' }), own, 'no copy when every extra label clashes');
});
