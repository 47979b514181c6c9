/**
 * time: node_time_seconds (the run's wall clock), node_time_zone_offset_seconds{time_zone} and the clocksources
 * from /sys/devices/system/clocksource/clocksource<N>/{available,current}_clocksource. The clock and the zone are
 * injectable so tests are deterministic. The zone name is what Intl reports for the process's zone ("UTC", "PST",
 * or "GMT+1" where the locale data has no abbreviation), where node_exporter prints Go's tzdata abbreviation.
 */
import { join } from 'node:path';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, listDir, readText } from './text';

export interface Zone {
  name: string;
  offsetSeconds: number;
}

// Building an Intl formatter loads ICU locale data (~0.2 ms, more under load), and formatting costs more than the
// rest of the collector: the zone's name is looked up again only when its offset changes (a DST switch).
let zoneFormat: Intl.DateTimeFormat | undefined;
let lastZone: Zone | undefined;

export function localZone(nowMs: number): Zone {
  const d = new Date(nowMs);
  const offsetSeconds = -d.getTimezoneOffset() * 60;
  if (lastZone?.offsetSeconds === offsetSeconds) return lastZone;
  zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  const part = zoneFormat.formatToParts(d).find((p) => p.type === 'timeZoneName');
  lastZone = { name: part?.value ?? 'UTC', offsetSeconds };
  return lastZone;
}

export interface TimeOptions {
  zone?: (nowMs: number) => Zone;
}

export function timeCollector(opts: TimeOptions = {}): Collector {
  const zone = opts.zone ?? localZone;
  return {
    name: 'time',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const z = zone(ctx.nowMs);
      const out = [
        family('node_time_seconds', 'System time in seconds since epoch (1970).', 'gauge', [{ labels: {}, value: ctx.nowMs / 1000 }]),
        family('node_time_zone_offset_seconds', 'System time zone offset in seconds.', 'gauge', [{ labels: { time_zone: z.name }, value: z.offsetSeconds }]),
      ];
      const base = join(ctx.paths.sysfs, 'devices/system/clocksource');
      const entries = listDir(base)
        ?.filter((e) => /^clocksource\d+$/.test(e))
        .sort();
      if (!entries) return out; // no clocksource directory: the clock metrics alone
      const avail = family('node_time_clocksource_available_info', "Available clocksources read from '/sys/devices/system/clocksource'.", 'gauge');
      const current = family('node_time_clocksource_current_info', "Current clocksource read from '/sys/devices/system/clocksource'.", 'gauge');
      for (const e of entries) {
        const device = e.slice('clocksource'.length);
        for (const cs of fields((await readText(join(base, e, 'available_clocksource'))) ?? '')) avail.samples.push({ labels: { clocksource: cs, device }, value: 1 });
        const cur = ((await readText(join(base, e, 'current_clocksource'))) ?? '').trim();
        if (cur) current.samples.push({ labels: { clocksource: cur, device }, value: 1 });
      }
      return [...out, avail, current].filter((f) => f.samples.length > 0);
    },
  };
}
