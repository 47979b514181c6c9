/**
 * arp: /proc/net/arp → node_arp_entries{device}, the neighbour table's entries per interface; interfaces filtered by
 * `collectors.arp.device_include` / `device_exclude` (node_exporter's --collector.arp.device-include/-exclude).
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, quote, readTextRequired } from './text';
import { hostOptions, ignored } from './options';

export function parseArp(text: string, issues: Issues = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text).slice(1)) {
    const f = fields(line);
    if (f.length < 6) {
      issues.push(`line ${quote(line)} has fewer than 6 columns`);
      continue;
    }
    const device = f[f.length - 1]!;
    out.set(device, (out.get(device) ?? 0) + 1);
  }
  return out;
}

export function arpCollector(): Collector {
  return {
    name: 'arp',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const entries = parseArp(await readTextRequired(join(ctx.paths.procfs, 'net/arp')), ctx.issues);
      const { include, exclude } = hostOptions(ctx.config).arp;
      return [
        family(
          'node_arp_entries',
          'ARP entries by device',
          'gauge',
          [...entries].filter(([device]) => !ignored(device, include, exclude)).map(([device, n]) => ({ labels: { device }, value: n })),
        ),
      ];
    },
  };
}
