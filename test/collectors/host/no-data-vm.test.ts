/**
 * A virtual machine: /sys/devices/system/cpu has CPUs without cpufreq and /sys/class/thermal is empty. node_exporter
 * reports node_scrape_collector_success 1 with no series there; so must these collectors (no data is not a failure).
 */
import t from 'tap';
import { join } from 'node:path';
import { silentLogger } from '../../../agent/core/log';
import { CollectorRunner } from '../../../agent/collectors/runner';
import { cpufreqCollector } from '../../../agent/collectors/host/cpufreq';
import { thermalZoneCollector } from '../../../agent/collectors/host/thermal-zone';
import { Store } from '../../../agent/store/store';
import { render } from '../../../agent/exposition/render';
import { edgeFixtures, fixtureConfig } from './fixture';

const vm = join(edgeFixtures, 'vm');

t.test('cpufreq and thermal_zone on a VM: success 1, no series', async (t) => {
  const store = new Store();
  const config = fixtureConfig();
  const paths = { procfs: join(vm, 'proc'), sysfs: join(vm, 'sys'), rootfs: vm };
  const collectors = [cpufreqCollector(), thermalZoneCollector()];
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors });
  await runner.collectOnce();
  const text = render(store, 'text');
  t.match(text, /node_scrape_collector_success\{collector="cpufreq"\} 1/);
  t.match(text, /node_scrape_collector_success\{collector="thermal_zone"\} 1/);
  t.notMatch(text, /node_cpu_frequency|node_thermal_zone_temp|node_cooling_device/);
});
