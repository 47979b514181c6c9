/**
 * powersupplyclass: /sys/class/power_supply/<name>/* → node_power_supply_<property>{power_supply} for each numeric
 * attribute the supply has (micro-units → base units, tenths of °C → °C) and node_power_supply_info{power_supply,
 * type, status, …} from its text attributes, as node_exporter's powersupplyclass collector. Supplies whose name
 * matches collectors.powersupplyclass.ignored_supplies are left out. No /sys/class/power_supply: NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { hostOptions } from './options';
import { readTrim } from './sysfs-attrs';
import { listDir, quote } from './text';

/** [attribute file, metric suffix, divisor]. */
const numeric: Array<[string, string, number]> = [
  ['authentic', 'authentic', 1],
  ['calibrate', 'calibrate', 1],
  ['capacity', 'capacity', 1],
  ['capacity_alert_max', 'capacity_alert_max', 1],
  ['capacity_alert_min', 'capacity_alert_min', 1],
  ['cycle_count', 'cyclecount', 1],
  ['online', 'online', 1],
  ['present', 'present', 1],
  ['time_to_empty_now', 'time_to_empty_seconds', 1],
  ['time_to_full_now', 'time_to_full_seconds', 1],
  ['current_boot', 'current_boot', 1e6],
  ['current_max', 'current_max', 1e6],
  ['current_now', 'current_ampere', 1e6],
  ['energy_empty', 'energy_empty', 1e6],
  ['energy_empty_design', 'energy_empty_design', 1e6],
  ['energy_full', 'energy_full', 1e6],
  ['energy_full_design', 'energy_full_design', 1e6],
  ['energy_now', 'energy_watthour', 1e6],
  ['voltage_boot', 'voltage_boot', 1e6],
  ['voltage_max', 'voltage_max', 1e6],
  ['voltage_max_design', 'voltage_max_design', 1e6],
  ['voltage_min', 'voltage_min', 1e6],
  ['voltage_min_design', 'voltage_min_design', 1e6],
  ['voltage_now', 'voltage_volt', 1e6],
  ['voltage_ocv', 'voltage_ocv', 1e6],
  ['charge_control_limit', 'charge_control_limit', 1e6],
  ['charge_control_limit_max', 'charge_control_limit_max', 1e6],
  ['charge_counter', 'charge_counter', 1e6],
  ['charge_empty', 'charge_empty', 1e6],
  ['charge_empty_design', 'charge_empty_design', 1e6],
  ['charge_full', 'charge_full', 1e6],
  ['charge_full_design', 'charge_full_design', 1e6],
  ['charge_now', 'charge_ampere', 1e6],
  ['charge_term_current', 'charge_term_current', 1e6],
  ['constant_charge_current', 'constant_charge_current', 1e6],
  ['constant_charge_current_max', 'constant_charge_current_max', 1e6],
  ['constant_charge_voltage', 'constant_charge_voltage', 1e6],
  ['constant_charge_voltage_max', 'constant_charge_voltage_max', 1e6],
  ['precharge_current', 'precharge_current', 1e6],
  ['input_current_limit', 'input_current_limit', 1e6],
  ['power_now', 'power_watt', 1e6],
  ['temp', 'temp_celsius', 10],
  ['temp_alert_max', 'temp_alert_max_celsius', 10],
  ['temp_alert_min', 'temp_alert_min_celsius', 10],
  ['temp_ambient', 'temp_ambient_celsius', 10],
  ['temp_ambient_max', 'temp_ambient_max_celsius', 10],
  ['temp_ambient_min', 'temp_ambient_min_celsius', 10],
  ['temp_max', 'temp_max_celsius', 10],
  ['temp_min', 'temp_min_celsius', 10],
];
const textual = ['capacity_level', 'charge_type', 'health', 'manufacturer', 'model_name', 'serial_number', 'status', 'technology', 'type', 'usb_type', 'scope'];

/** The families of the given supplies (supply name → attribute file → trimmed text). */
export function powerSupplyFamilies(supplies: Map<string, Map<string, string>>, issues: Issues = []): FamilySamples[] {
  const fams = new Map<string, FamilySamples>();
  const info = family('node_power_supply_info', 'info of /sys/class/power_supply/<power_supply>.', 'gauge');
  for (const [name, attrs] of [...supplies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const [file, suffix, div] of numeric) {
      const raw = attrs.get(file);
      if (raw === undefined) continue;
      if (!/^[+-]?\d+$/.test(raw)) {
        issues.push(`powersupplyclass: ${name}/${file} is not an integer: ${quote(raw)}`);
        continue;
      }
      const metric = `node_power_supply_${suffix}`;
      let f = fams.get(metric);
      if (!f) fams.set(metric, (f = family(metric, `${suffix} value of /sys/class/power_supply/<power_supply>.`, 'gauge')));
      f.samples.push({ labels: { power_supply: name }, value: Number(raw) / div });
    }
    const labels: Record<string, string> = { power_supply: name };
    for (const t of textual) {
      const v = attrs.get(t);
      if (v !== undefined && v !== '') labels[t] = v;
    }
    info.samples.push({ labels, value: 1 });
  }
  return [...fams.values(), info];
}

export function powerSupplyClassCollector(): Collector {
  return {
    name: 'powersupplyclass',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/power_supply');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const ignored = hostOptions(ctx.config).powersupplyclass.ignoredSupplies;
      const supplies = new Map<string, Map<string, string>>();
      for (const name of entries) {
        if (ignored?.test(name)) continue;
        const attrs = new Map<string, string>();
        for (const file of listDir(join(base, name)) ?? []) {
          const v = readTrim(join(base, name, file));
          if (v !== undefined) attrs.set(file, v);
        }
        supplies.set(name, attrs);
      }
      return powerSupplyFamilies(supplies, ctx.issues);
    },
  };
}
