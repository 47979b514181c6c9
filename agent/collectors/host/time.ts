/**
 * time: node_time_seconds (the run's wall clock), node_time_zone_offset_seconds{time_zone} and the clocksources
 * from /sys/devices/system/clocksource/clocksource<N>/{available,current}_clocksource. The clock and the zone are
 * injectable so tests are deterministic. The zone name is the tzdata abbreviation node_exporter prints (Go's), read
 * from `TZ` or /etc/localtime without ICU (zone-name.ts); only a zone that cannot be read that way asks Intl ("UTC",
 * "PST", or "GMT+1" where the locale data has no abbreviation).
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, listDir, readText } from './text';
import { zoneAbbreviation, ZoneSource } from './zone-name';

export interface Zone {
  name: string;
  offsetSeconds: number;
}

// The zone's name is looked up again only when its offset changes (a DST switch). An Intl formatter, the fallback,
// loads ICU's locale and zone data (~8 MiB of RSS for the process's life, ~0.2 ms): built only when needed.
let zoneFormat: Intl.DateTimeFormat | undefined;
let lastZone: Zone | undefined;

export function localZone(nowMs: number, src?: ZoneSource): Zone {
  const d = new Date(nowMs);
  const offsetSeconds = -d.getTimezoneOffset() * 60;
  if (src === undefined && lastZone?.offsetSeconds === offsetSeconds) return lastZone;
  let name = zoneAbbreviation(offsetSeconds, src);
  if (name === undefined) {
    zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
    name = zoneFormat.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
  }
  const zone = { name, offsetSeconds };
  if (src === undefined) lastZone = zone;
  return zone;
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
