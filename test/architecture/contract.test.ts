/**
 * The component contract (docs/components.md): every component in the composition root's registry exposes
 * outrider_component_{received,sent,dropped,errors}_total{component="<name>"}, fed from metrics of its own that
 * exist. One test over every registered component: an agent with all of them on.
 */
import { join } from 'node:path';
import t from 'tap';
import { ComponentEntry, registry, startOrder, stopOrder } from '../../agent/components';
import { contractCounts, contractMetricName } from '../../agent/core/contract';
import { get, startAgent } from '../helpers/agent';

const entries: Array<[string, ComponentEntry]> = Object.entries(registry);
const all = entries.flatMap(([entry, e]) => Object.entries(e.contract).map(([component, sources]) => ({ entry, component, sources })));

t.test('the registry and its orders name the same components, once each', async (t) => {
  const names = Object.keys(registry).sort();
  t.same([...startOrder].sort(), names);
  t.same([...stopOrder].sort(), names);
  t.same(all.map((c) => c.component).sort(), [
    'analysis',
    'collectors',
    'drift',
    'history',
    'otlp-grpc',
    'otlp-http',
    'push',
    'recommend',
    'remote_write',
    'report',
    'report_events',
    'rules',
    'scrape',
    'statsd',
  ]);
});

t.test('every registered component honours the contract', async (t) => {
  // Every component on: reporting and remote write aim at a closed loopback port (retries are fine here).
  const a = await startAgent({
    'push.listen': '127.0.0.1:0',
    'report.endpoints': ['http://127.0.0.1:9'],
    'report.remote_write': ['http://127.0.0.1:9/api/v1/write'],
    'collectors.interval': 60_000,
    'scrape.targets': [{ url: 'http://127.0.0.1:9/metrics' }],
    'rules.files': [join(__dirname, 'no-such-dir', '*.yml')],
    'rules.state_dir': '',
  });
  t.teardown(() => a.stop());
  const running = a.agent.contracts;
  const registered = a.agent.telemetry.registry;
  for (const { component, sources } of all) {
    t.ok(running.has(component), `${component} is running`);
    for (const count of contractCounts) {
      for (const s of sources[count]) t.ok(registered.getSingleMetric(s.metric), `${component}.${count}: its source ${s.metric} exists`);
    }
  }
  const pushUrl = /listening on (\S+)/.exec(a.agent.health.get('push')?.detail ?? '')?.[1];
  t.ok(pushUrl, 'push listener url');
  const res = await fetch(`${pushUrl}/api/v1/push`, { method: 'POST', body: 'contract_probe{k="a"} 1\ncontract_probe{k="b"} 2\ncontract_probe{k="c"} 3\n' });
  t.equal(res.status, 200);
  const bad = await fetch(`${pushUrl}/api/v1/push`, { method: 'POST', body: 'not a sample line at all {\n' });
  t.equal(bad.status, 400);

  const text = (await get(`${a.url}/metrics`)).text;
  for (const { component } of all) {
    for (const count of contractCounts) {
      t.match(text, new RegExp(`^${contractMetricName(count)}\\{component="${component}"\\} \\d`, 'm'), `${component} exposes ${count}`);
    }
  }
  // /metrics holds the telemetry as of the last collection; the live counts are read from the registry.
  const live = await registered.metrics();
  const value = (count: string, component: string) => Number(new RegExp(`^outrider_component_${count}_total\\{component="${component}"\\} (\\S+)$`, 'm').exec(live)?.[1]);
  t.equal(value('received', 'push'), 3, 'push received the three samples');
  t.equal(value('errors', 'push'), 1, 'the malformed request is an error');
  t.ok(value('received', 'collectors') >= 1, 'the collector runs are counted');
});
