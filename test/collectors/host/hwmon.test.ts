/**
 * hwmon: GPU clocks (node_exporter 1.9) over a GPU's hwmon tree, and the chip and sensor include/exclude filters
 * (node_exporter 1.7 and 1.9) over the fixture host, also given under node_exporter's flag names.
 */
import t from 'tap';
import { join } from 'node:path';
import { hwmonCollector } from '../../../agent/collectors/host/hwmon';
import { loadConfig } from '../../../agent/config/load';
import { agentKeys } from '../../../agent/keys';
import { collectContext, edgeFixtures } from './fixture';

const gpu = 'pci0000:00_0000:03:00_0';

t.test('GPU clocks: freq<N>_input in Hz → node_hwmon_freq_freq_mhz{sensor=<label>}; an unlabelled clock is left out', async (t) => {
  const fams = await hwmonCollector().collect(collectContext({ sysfs: join(edgeFixtures, 'hwmon-gpu/sys') }));
  const freq = fams.find((f) => f.name === 'node_hwmon_freq_freq_mhz');
  t.equal(freq?.help, 'Hardware monitor for GPU frequency in MHz');
  t.equal(freq?.type, 'gauge');
  t.same(
    freq?.samples.map((s) => [s.labels, s.value]).sort((a, b) => (a[1] as number) - (b[1] as number)),
    [
      [{ chip: gpu, sensor: 'mclk' }, 96],
      [{ chip: gpu, sensor: 'sclk' }, 1850],
    ],
  );
  t.notOk(
    fams.some((f) => f.samples.some((s) => s.labels.sensor === 'freq3')),
    'freq3 has no label: nothing',
  );
  const labels = fams.find((f) => f.name === 'node_hwmon_sensor_label')?.samples.map((s) => `${s.labels.sensor}=${s.labels.label}`);
  t.same(labels?.sort(), ['freq1=sclk', 'freq2=mclk', 'temp1=edge']);
  t.equal(fams.find((f) => f.name === 'node_hwmon_temp_celsius')?.samples[0]?.value, 47);
});

async function chips(overrides: Record<string, unknown>): Promise<{ chips: string[]; sensors: string[] }> {
  const fams = await hwmonCollector().collect(collectContext({}, overrides));
  const chipSet = new Set<string>();
  const sensorSet = new Set<string>();
  for (const f of fams)
    for (const s of f.samples) {
      chipSet.add(s.labels.chip!);
      if (s.labels.sensor !== undefined) sensorSet.add(`${s.labels.chip};${s.labels.sensor}`);
    }
  return { chips: [...chipSet].sort(), sensors: [...sensorSet].sort() };
}

t.test('chip include/exclude: a chip left out reports nothing, its chip_names included', async (t) => {
  const all = await chips({});
  t.same(all.chips, ['hwmon2', 'platform_coretemp_0', 'platform_nct6775_656']);
  t.same((await chips({ 'collectors.hwmon.chip_exclude': 'coretemp' })).chips, ['hwmon2', 'platform_nct6775_656']);
  t.same((await chips({ 'collectors.hwmon.chip_include': '^platform_' })).chips, ['platform_coretemp_0', 'platform_nct6775_656']);
  t.same((await chips({ 'collectors.hwmon.chip_include': '^platform_', 'collectors.hwmon.chip_exclude': 'nct' })).chips, ['platform_coretemp_0'], 'both apply');
  const fams = await hwmonCollector().collect(collectContext({}, { 'collectors.hwmon.chip_exclude': 'coretemp' }));
  t.notMatch(JSON.stringify(fams), /coretemp/, 'not even node_hwmon_chip_names');
});

t.test('sensor include/exclude match <chip>;<sensor>', async (t) => {
  const all = await chips({});
  t.ok(all.sensors.includes('platform_coretemp_0;temp1'));
  t.ok(all.sensors.includes('hwmon2;temp1'));
  const ex = await chips({ 'collectors.hwmon.sensor_exclude': '^platform_coretemp_0;temp1$' });
  t.same(
    all.sensors.filter((s) => !ex.sensors.includes(s)),
    ['platform_coretemp_0;temp1'],
    'only that sensor on that chip; hwmon2;temp1 stays',
  );
  const fams = await hwmonCollector().collect(collectContext({}, { 'collectors.hwmon.sensor_exclude': '^platform_coretemp_0;temp1$' }));
  t.notOk(
    fams.find((f) => f.name === 'node_hwmon_sensor_label')?.samples.some((s) => s.labels.chip === 'platform_coretemp_0' && s.labels.sensor === 'temp1'),
    'its label is left out too',
  );
  const inc = await chips({ 'collectors.hwmon.sensor_include': ';temp' });
  t.ok(inc.sensors.length > 0);
  t.ok(
    inc.sensors.every((s) => s.includes(';temp')),
    'only temperature sensors',
  );
  t.same(inc.chips, all.chips, 'chips stay (their chip_names)');
});

t.test("node_exporter's flag names set the keys; a bad expression is refused with the key", async (t) => {
  const flags = new Map([
    ['collector.hwmon.chip-include', ['^platform_']],
    ['collector.hwmon.chip-exclude', ['nct']],
    ['collector.hwmon.sensor-include', [';temp']],
    ['collector.hwmon.sensor-exclude', ['temp2$']],
  ]);
  const r = loadConfig({ keys: agentKeys, env: {}, flags });
  t.same(r.problems, []);
  t.equal(r.config.string('collectors.hwmon.chip_include'), '^platform_');
  t.equal(r.config.string('collectors.hwmon.chip_exclude'), 'nct');
  t.equal(r.config.string('collectors.hwmon.sensor_include'), ';temp');
  t.equal(r.config.string('collectors.hwmon.sensor_exclude'), 'temp2$');
  const bad = loadConfig({ keys: agentKeys, env: {}, flags: new Map([['collector.hwmon.chip-include', ['(']]]) });
  t.equal(bad.problems[0]?.key, 'collectors.hwmon.chip_include');
});
