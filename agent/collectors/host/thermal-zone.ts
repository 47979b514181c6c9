/**
 * thermal_zone: /sys/class/thermal/thermal_zone<N>/{type,temp} (millidegrees) → node_thermal_zone_temp{type,zone}
 * in °C, and cooling_device<N>/{type,cur_state,max_state} → node_cooling_device_{cur,max}_state{name,type}. A zone
 * whose sensor does not answer (EINVAL, ENODATA) is left out. Virtual machines usually have none: as node_exporter, that is a successful run with no series (only a
 * host without /sys/class/thermal is NoDataError).
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readAttr } from './netclass';
import { listDir, num } from './text';

const byNumber = (prefix: string) => (a: string, b: string) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length));

export function thermalZoneCollector(): Collector {
  return {
    name: 'thermal_zone',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/thermal');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const temp = family('node_thermal_zone_temp', 'Zone temperature in Celsius', 'gauge');
      const cur = family('node_cooling_device_cur_state', 'Current throttle state of the cooling device', 'gauge');
      const max = family('node_cooling_device_max_state', 'Maximum throttle state of the cooling device', 'gauge');
      for (const e of entries.filter((x) => /^thermal_zone\d+$/.test(x)).sort(byNumber('thermal_zone'))) {
        const t = num(readAttr(join(base, e, 'temp')));
        const type = readAttr(join(base, e, 'type'));
        if (t === undefined || type === undefined) continue;
        temp.samples.push({ labels: { type, zone: e.slice('thermal_zone'.length) }, value: t / 1000 });
      }
      for (const e of entries.filter((x) => /^cooling_device\d+$/.test(x)).sort(byNumber('cooling_device'))) {
        const type = readAttr(join(base, e, 'type'));
        if (type === undefined) continue;
        const labels = { name: e.slice('cooling_device'.length), type };
        const c = num(readAttr(join(base, e, 'cur_state')));
        const m = num(readAttr(join(base, e, 'max_state')));
        if (c !== undefined) cur.samples.push({ labels, value: c });
        if (m !== undefined) max.samples.push({ labels, value: m });
      }
      return [temp, cur, max].filter((f) => f.samples.length > 0);
    },
  };
}
