/** arp: node_exporter's --collector.arp.device-include/-exclude as collectors.arp.device_include/_exclude. */
import t from 'tap';
import { arpCollector } from '../../../agent/collectors/host/arp';
import { parseArgs } from '../../../agent/cli/args';
import { configFromArgs } from '../../../agent/cli/config-args';
import { collectContext } from './fixture';

async function devices(overrides: Record<string, unknown>): Promise<Array<[string, number]>> {
  const [f] = await arpCollector().collect(collectContext({}, overrides));
  return f!.samples.map((s) => [s.labels.device!, s.value!]);
}

t.test('every interface by default; exclude, include, and both (node_exporter applies both)', async (t) => {
  t.same(await devices({}), [
    ['eth0', 2],
    ['docker0', 1],
  ]);
  t.same(await devices({ 'collectors.arp.device_exclude': '^docker' }), [['eth0', 2]]);
  t.same(await devices({ 'collectors.arp.device_include': '^docker' }), [['docker0', 1]]);
  t.same(await devices({ 'collectors.arp.device_include': '0$', 'collectors.arp.device_exclude': '^eth' }), [['docker0', 1]]);
});

t.test("node_exporter's flags are accepted and set the keys; a bad expression names the key", async (t) => {
  const r = configFromArgs(parseArgs(['--collector.arp.device-include=^eth', '--collector.arp.device-exclude', 'eth1$']), {});
  t.same(r.problems, []);
  t.equal(r.config.string('collectors.arp.device_include'), '^eth');
  t.equal(r.config.string('collectors.arp.device_exclude'), 'eth1$');
  const bad = configFromArgs(parseArgs(['--collector.arp.device-exclude=[']), {});
  t.equal(bad.problems[0]?.key, 'collectors.arp.device_exclude');
});
