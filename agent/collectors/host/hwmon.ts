/**
 * hwmon: /sys/class/hwmon/hwmon<N>/ (and its device/ directory) → node_hwmon_* as node_exporter's hwmon collector.
 * A chip is named from its device link (`<bus>_<device>`, e.g. platform_coretemp_0), else its `name` file, else its
 * directory; files are `<type><num>_<property>` for the known sensor types, and each property becomes a family with
 * the unit of its type (millivolts → volts, millidegrees → °C, microwatts → W, microjoules → J, hertz → MHz for
 * the GPU clocks `freq<N>_input`, reported as node_hwmon_freq_freq_mhz{sensor=<its label>} as node_exporter 1.9
 * does, and only when labelled). `name` gives node_hwmon_chip_names, `<sensor>_label` node_hwmon_sensor_label. As node_exporter
 * 1.7/1.9, `collectors.hwmon.chip_include/_exclude` filter chips by their `chip` label and
 * `collectors.hwmon.sensor_include/_exclude` sensors by `<chip>;<sensor>`; a chip or sensor left out reports
 * nothing, its name and label included. No /sys/class/hwmon: NoDataError.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { isDir, goFloat, readRaw, realPath } from './sysfs-attrs';
import { listDir } from './text';
import { hostOptions, ignored } from './options';

const sensorTypes = new Set(['vrm', 'beep_enable', 'update_interval', 'in', 'cpu', 'fan', 'pwm', 'temp', 'curr', 'power', 'energy', 'humidity', 'intrusion', 'freq']);

/** Lower case, every character outside [a-z0-9:_] an underscore, underscores trimmed (node_exporter's cleaning). */
export function cleanName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9:_]/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** `temp1_crit_alarm` → { type: 'temp', num: 1, property: 'crit_alarm' }; undefined when not a sensor file name. */
export function explodeSensorFile(file: string): { type: string; num: number; property: string } | undefined {
  const m = /^([^0-9]+)([0-9]*)(?:_(.+))?$/.exec(file);
  if (!m) return undefined;
  const [, type, id, prop] = m;
  if (id !== '' && !Number.isSafeInteger(Number(id))) return undefined;
  return { type: type!, num: id === '' ? 0 : Number(id), property: prop ?? '' };
}

/** A chip: its stable name, its human-readable `name` (cleaned; undefined when absent), its sensor files' contents. */
export interface HwmonChip {
  chip: string;
  chipName: string | undefined;
  /** sensor (`temp1`) → property (`input`, `label`, '' for a bare `pwm1`) → raw value. */
  sensors: Map<string, Map<string, string>>;
}

/** Groups sensor files (name → raw content) into sensors; files of unknown types are ignored. */
export function groupSensorFiles(files: Iterable<[string, string]>, into = new Map<string, Map<string, string>>()): Map<string, Map<string, string>> {
  for (const [file, value] of files) {
    const e = explodeSensorFile(file);
    if (!e || !sensorTypes.has(e.type)) continue;
    const sensor = `${e.type}${e.num}`;
    let props = into.get(sensor);
    if (!props) into.set(sensor, (props = new Map()));
    props.set(e.property, value);
  }
  return into;
}

interface Out {
  fams: Map<string, FamilySamples>;
}

function put(out: Out, name: string, help: string, type: FamilySamples['type'], labels: Record<string, string>, value: number): void {
  let f = out.fams.get(name);
  if (!f) out.fams.set(name, (f = family(name, help, type)));
  f.samples.push({ labels, value });
}

/** Which sensors to report: `<chip>;<sensor>` is matched (node_exporter's sensor filter). */
export type SensorFilter = (chip: string, sensor: string) => boolean;

/** The families of the given chips, named, typed and scaled as node_exporter does. */
export function hwmonFamilies(chips: HwmonChip[], keep: SensorFilter = () => true): FamilySamples[] {
  const out: Out = { fams: new Map() };
  for (const c of chips) {
    if (c.chipName !== undefined && c.chipName !== '') {
      put(out, 'node_hwmon_chip_names', 'Annotation metric for human-readable chip names', 'gauge', { chip: c.chip, chip_name: c.chipName }, 1);
    }
    for (const [sensor, props] of c.sensors) {
      if (!keep(c.chip, sensor)) continue;
      const type = explodeSensorFile(sensor)!.type;
      const labels = { chip: c.chip, sensor };
      const labelText = props.get('label');
      if (labelText !== undefined && cleanName(labelText) !== '') {
        put(out, 'node_hwmon_sensor_label', 'Label for given chip and sensor', 'gauge', { chip: c.chip, label: labelText, sensor }, 1);
      }
      if (type === 'beep_enable') {
        put(out, 'node_hwmon_beep_enabled', 'Hardware beep enabled', 'gauge', labels, props.get('') === '1' ? 1 : 0);
        continue;
      }
      if (type === 'vrm' || type === 'update_interval') {
        const v = goFloat(props.get(''));
        if (v === undefined) continue;
        if (type === 'vrm') put(out, 'node_hwmon_voltage_regulator_version', 'Hardware voltage regulator', 'gauge', labels, v);
        else put(out, 'node_hwmon_update_interval_seconds', 'Hardware monitor update interval', 'gauge', labels, v * 0.001);
        continue;
      }
      const prefix = `node_hwmon_${type}`;
      for (const [prop, raw] of props) {
        if (prop === 'label') continue;
        let element = prop;
        let name = prefix;
        if (element === 'input') {
          if (props.has('')) name += '_input';
        } else if (element !== '') {
          name += '_' + cleanName(element);
        }
        const v = goFloat(raw);
        if (v === undefined) continue;
        if (element === 'fault' || element === 'alarm') {
          put(out, name, `Hardware sensor ${element} status (${type})`, 'gauge', labels, v);
        } else if (element === 'beep') {
          put(out, name + '_enabled', 'Hardware monitor sensor has beeping enabled', 'gauge', labels, v);
        } else if (type === 'in' || type === 'cpu') {
          put(out, name + '_volts', `Hardware monitor for voltage (${element})`, 'gauge', labels, v * 0.001);
        } else if (type === 'temp' && element !== 'type') {
          if (element === '') element = 'input';
          put(out, name + '_celsius', `Hardware monitor for temperature (${element})`, 'gauge', labels, v * 0.001);
        } else if (type === 'curr') {
          put(out, name + '_amps', `Hardware monitor for current (${element})`, 'gauge', labels, v * 0.001);
        } else if (type === 'energy') {
          put(out, name + '_joule_total', `Hardware monitor for joules used so far (${element})`, 'counter', labels, v / 1e6);
        } else if (type === 'power' && element === 'accuracy') {
          put(out, name, 'Hardware monitor power meter accuracy, as a ratio', 'gauge', labels, v / 1e6);
        } else if (type === 'power' && /^average_interval(_min|_max)?$/.test(element)) {
          put(out, name + '_seconds', `Hardware monitor power usage update interval (${element})`, 'gauge', labels, v * 0.001);
        } else if (type === 'power') {
          put(out, name + '_watt', `Hardware monitor for power usage in watts (${element})`, 'gauge', labels, v / 1e6);
        } else if (type === 'humidity') {
          put(out, name, `Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (${element})`, 'gauge', labels, v / 1e6);
        } else if (type === 'fan' && ['input', 'min', 'max', 'target'].includes(element)) {
          put(out, name + '_rpm', `Hardware monitor for fan revolutions per minute (${element})`, 'gauge', labels, v);
        } else if (type === 'freq' && element === 'input') {
          // A GPU clock is named by its label (sclk, mclk), which takes the place of the sensor; unlabelled, none.
          if (labelText !== undefined) put(out, name + '_freq_mhz', 'Hardware monitor for GPU frequency in MHz', 'gauge', { chip: c.chip, sensor: cleanName(labelText) }, v / 1e6);
        } else {
          put(out, name, `Hardware monitor ${type} element ${element}`, 'gauge', labels, v);
        }
      }
    }
  }
  return [...out.fams.values()];
}

/** The chip's stable name: `<bus>_<device>` from its device link, else its `name` file, else its directory's name. */
export function chipName(deviceReal: string | undefined, nameFile: string | undefined, dirReal: string): string | undefined {
  if (deviceReal !== undefined) {
    const parts = deviceReal.replace(/\/+$/, '').split('/');
    const dev = cleanName(parts[parts.length - 1] ?? '');
    const bus = cleanName(parts[parts.length - 2] ?? '');
    if (bus !== '' && dev !== '') return `${bus}_${dev}`;
    if (dev !== '') return dev;
  }
  if (nameFile !== undefined && cleanName(nameFile) !== '') return cleanName(nameFile);
  const base = cleanName(dirReal.split('/').pop() ?? '');
  return base === '' ? undefined : base;
}

function readSensorFiles(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of listDir(dir) ?? []) {
    const e = explodeSensorFile(f);
    if (!e || !sensorTypes.has(e.type)) continue;
    const v = readRaw(join(dir, f));
    if (v !== undefined) out.push([f, v]);
  }
  return out;
}

export function hwmonCollector(): Collector {
  return {
    name: 'hwmon',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/hwmon');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const opts = hostOptions(ctx.config).hwmon;
      const chips: HwmonChip[] = [];
      for (const e of entries.sort()) {
        const dir = join(base, e);
        if (!isDir(dir)) continue;
        const nameFile = readRaw(join(dir, 'name'));
        const chip = chipName(realPath(join(dir, 'device')), nameFile, realPath(dir) ?? dir);
        if (chip === undefined) {
          ctx.issues.push(`hwmon: no name for ${dir}`);
          continue;
        }
        if (ignored(chip, opts.chipInclude, opts.chipExclude)) continue;
        const sensors = groupSensorFiles(readSensorFiles(dir));
        if (isDir(join(dir, 'device'))) groupSensorFiles(readSensorFiles(join(dir, 'device')), sensors);
        const human = nameFile === undefined ? undefined : cleanName(nameFile);
        chips.push({ chip, chipName: human, sensors });
      }
      return hwmonFamilies(chips, (chip, sensor) => !ignored(`${chip};${sensor}`, opts.sensorInclude, opts.sensorExclude));
    },
  };
}
