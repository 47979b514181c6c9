import { agentKeys } from '../../../agent/keys';
import t from 'tap';
import { join } from 'node:path';
import { Config } from '../../../agent/config/config';
import { gpuCollector } from '../../../agent/collectors/gpu/index';
import { readDrmCards } from '../../../agent/collectors/gpu/drm';
import { gpuFixtures, renderRun } from './fake-nvml';
import { checkGolden } from './golden';

const sysfs = join(gpuFixtures, 'sys');
const paths = { procfs: join(gpuFixtures, 'proc'), sysfs, rootfs: '/' };
const config = Config.defaults(agentKeys).with({ 'collectors.gpu.nvml_library': '' });

t.test('an AMD and an Intel card render the golden exposition', async (t) => {
  const text = await renderRun([gpuCollector()], config, paths);
  checkGolden(t, 'drm.prom', text);
  t.match(text, /node_scrape_collector_success\{collector="gpu"\} 1/);
});

t.test('cards: connectors and render nodes skipped, suspended card not read', async (t) => {
  const cards = (await readDrmCards(sysfs))!;
  t.same(
    cards.map((c) => [c.card, c.vendor, c.suspended]),
    [
      ['card0', 'amd', false],
      ['card1', 'intel', false],
      ['card2', 'amd', true],
    ],
  );
  // card2 has a gpu_busy_percent file, but reading it would wake the GPU.
  t.equal(cards[2]!.values.size, 0);
  t.equal(cards[0]!.values.get('gpu_busy_percent'), 37);
});

t.test('node_exporter names and units', async (t) => {
  const text = await renderRun([gpuCollector()], config, paths);
  t.match(text, 'node_drm_gpu_busy_percent{card="card0"} 37\n');
  t.match(text, 'node_drm_memory_vram_used_bytes{card="card0"} 1228800000\n');
  t.match(text, 'node_drm_card_info{card="card0",memory_vendor="samsung",power_performance_level="auto",unique_id="0123456789abcdef",vendor="amd"} 1\n');
  // power1_average wins over power1_input; µW → W; m°C → °C; MHz → Hz; ms → s; µJ → J.
  t.match(text, 'outrider_drm_power_watts{card="card0",sensor="PPT"} 42\n');
  t.match(text, 'outrider_drm_temperature_celsius{card="card0",sensor="junction"} 58\n');
  t.match(text, 'outrider_drm_frequency_hertz{card="card1",kind="act"} 650000000\n');
  t.match(text, 'outrider_drm_rc6_residency_seconds_total{card="card1"} 123456.789\n');
  t.match(text, 'outrider_drm_energy_joules_total{card="card1",sensor="energy1"} 987654.321\n');
  t.notMatch(text, 'card="card2"} 99');
});

t.test('no class/drm and no NVML: an empty, successful run', async (t) => {
  const text = await renderRun([gpuCollector()], config, { ...paths, sysfs: join(gpuFixtures, 'no-such-sys') });
  t.equal(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .join('\n'),
    'node_scrape_collector_success{collector="gpu"} 1',
  );
});
