/**
 * watchdog: /sys/class/watchdog/<name>/* → node_watchdog_info{name,identity,options,pretimeout_governor,state,status}
 * (missing attributes empty) and, for each numeric attribute the device has, node_watchdog_{bootstatus,fw_version,
 * nowayout,access_cs0}{name} and node_watchdog_{timeout,pretimeout,timeleft}_seconds{name} (node_exporter's
 * watchdog collector). No /sys/class/watchdog: NoDataError; an empty one is a run with no series.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readAttr } from './netclass';
import { listDir, num } from './text';

const numeric: Array<[string, string]> = [
  ['access_cs0', 'node_watchdog_access_cs0'],
  ['bootstatus', 'node_watchdog_bootstatus'],
  ['fw_version', 'node_watchdog_fw_version'],
  ['nowayout', 'node_watchdog_nowayout'],
  ['pretimeout', 'node_watchdog_pretimeout_seconds'],
  ['timeleft', 'node_watchdog_timeleft_seconds'],
  ['timeout', 'node_watchdog_timeout_seconds'],
];
const infoAttrs = ['identity', 'options', 'pretimeout_governor', 'state', 'status'] as const;

export function watchdogCollector(): Collector {
  return {
    name: 'watchdog',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/watchdog');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const fams = numeric.map(([attr, name]) => family(name, `Value of /sys/class/watchdog/<watchdog>/${attr}`, 'gauge'));
      const info = family('node_watchdog_info', 'Info of /sys/class/watchdog/<watchdog>', 'gauge');
      for (const name of entries.filter((e) => /^watchdog\d+$/.test(e)).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))) {
        const dir = join(base, name);
        numeric.forEach(([attr], i) => {
          const v = num(readAttr(join(dir, attr)));
          if (v !== undefined) fams[i]!.samples.push({ labels: { name }, value: v });
        });
        const labels: Record<string, string> = { name };
        for (const a of infoAttrs) labels[a] = readAttr(join(dir, a)) ?? '';
        info.samples.push({ labels, value: 1 });
      }
      return [...fams, info].filter((f) => f.samples.length > 0);
    },
  };
}
