import t from 'tap';
import type { Collector } from '../../agent/collectors/collector';
import { NoDataError } from '../../agent/collectors/collector';
import { CollectorRunner } from '../../agent/collectors/runner';
import { Config } from '../../agent/config/config';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { labelKey, Store } from '../../agent/store/store';

const paths = { procfs: '/proc', sysfs: '/sys', rootfs: '/' };
// The runner's timers are unref'd (they must not keep an agent alive); keep this test process alive meanwhile.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

function value(store: Store, name: string, labels: Record<string, string>): number | undefined {
  return store.getFamily(name)?.series.get(labelKey(labels))?.value;
}

t.test('a hung collector is abandoned at its budget, reported, and not started again until it settles', async (t) => {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  let calls = 0;
  let release: () => void = () => undefined;
  const hung: Collector = {
    name: 'hung',
    defaultEnabled: true,
    collect: () => {
      calls++;
      if (calls > 1) return Promise.resolve([]);
      return new Promise((resolve) => {
        release = () => resolve([]);
      });
    },
  };
  const fine: Collector = {
    name: 'fine',
    defaultEnabled: true,
    collect: async () => [{ name: 'fine_value', help: 'x', type: 'gauge', samples: [{ labels: {}, value: 1 }] }],
  };
  const config = Config.defaults().with({ 'collectors.timeout': 200, 'collectors.interval': 100 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [hung, fine], telemetry });
  await runner.start();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'hung' }), 0);
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'fine' }), 1);
  t.equal(value(store, 'fine_value', {}), 1, 'the other collector is unaffected');
  await new Promise((r) => setTimeout(r, 450));
  t.equal(calls, 1, 'no second run while the first is stuck');
  t.ok(runner.stats().hung!.skipped >= 1, 'skipped ticks are counted');
  release();
  await new Promise((r) => setTimeout(r, 300));
  t.ok(calls >= 2, 'runs again once the stuck run settled');
  await runner.stop();
  const metrics = await telemetry.registry.metrics();
  t.match(metrics, /outrider_collector_timeouts_total\{collector="hung"\} 1/);
});

t.test('no data: nothing exposed, success 0, scrape goes on; errors are counted', async (t) => {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const absent: Collector = { name: 'absent', defaultEnabled: true, collect: async () => Promise.reject(new NoDataError('/proc/pressure does not exist')) };
  const broken: Collector = { name: 'broken', defaultEnabled: true, collect: async () => Promise.reject(new Error('garbled')) };
  const config = Config.defaults().with({ 'collectors.interval': 60_000 });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors: [absent, broken], telemetry });
  await runner.start();
  await runner.stop();
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'absent' }), 0);
  t.equal(value(store, 'node_scrape_collector_success', { collector: 'broken' }), 0);
  const metrics = await telemetry.registry.metrics();
  t.match(metrics, /outrider_collector_errors_total\{collector="broken"\} 1/);
  t.notMatch(metrics, /outrider_collector_errors_total\{collector="absent"\}/, 'missing sources are not errors');
});

t.test('stop is safe before start and idempotent', async (t) => {
  const runner = new CollectorRunner({ store: new Store(), config: Config.defaults(), paths, log: silentLogger(), collectors: [] });
  await runner.stop();
  await runner.stop();
  t.pass();
});
