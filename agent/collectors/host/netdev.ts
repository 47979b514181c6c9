/**
 * netdev: /proc/net/dev → node_network_{receive,transmit}_<field>_total per interface, with the column names taken
 * from the file's own header. receive_nohandler (not in /proc/net/dev) is read from
 * /sys/class/net/<iface>/statistics/rx_nohandler when present, as node_exporter's netlink source reports it.
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readText, readTextRequired } from './text';
import { hostOptions } from './options';

export interface NetDevStats {
  device: string;
  /** `receive_bytes` → value, ... in file order. */
  stats: Map<string, number>;
}

const defaultRx = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'];
const defaultTx = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'];

export function parseNetDev(text: string, issues: Issues = []): NetDevStats[] {
  const all = lines(text);
  let rx = defaultRx;
  let tx = defaultTx;
  const header = all.find((l) => l.includes('|') && /bytes/.test(l));
  if (header) {
    const parts = header.split('|');
    if (parts.length >= 3) {
      rx = fields(parts[1]!);
      tx = fields(parts[2]!);
    }
  }
  const names = [...rx.map((n) => `receive_${n}`), ...tx.map((n) => `transmit_${n}`)];
  const out: NetDevStats[] = [];
  for (const line of all) {
    if (line.includes('|')) continue;
    const m = /^\s*(.+):\s*(\d+(?:\s+\d+)*)\s*$/.exec(line);
    if (!m) {
      issues.push(`line ${quote(line)} is not an interface record`);
      continue;
    }
    const vals = fields(m[2]!).map(num);
    if (vals.length !== names.length) issues.push(`interface ${m[1]!.trim()} has ${vals.length} fields, the header names ${names.length}`);
    const stats = new Map<string, number>();
    names.forEach((n, i) => {
      const v = vals[i];
      if (v !== undefined) stats.set(n, v);
    });
    out.push({ device: m[1]!.trim(), stats });
  }
  return out;
}

export function netdevCollector(): Collector {
  return {
    name: 'netdev',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const devs = parseNetDev(await readTextRequired(join(ctx.paths.procfs, 'net/dev')), ctx.issues);
      const { include, exclude } = hostOptions(ctx.config).netdev;
      const fams = new Map<string, FamilySamples>();
      const add = (stat: string, device: string, v: number): void => {
        let f = fams.get(stat);
        if (!f) {
          f = family(`node_network_${stat}_total`, `Network device statistic ${stat}.`, 'counter');
          fams.set(stat, f);
        }
        f.samples.push({ labels: { device }, value: v });
      };
      for (const d of devs) {
        if (include && !include.test(d.device)) continue;
        if (exclude && exclude.test(d.device)) continue;
        for (const [stat, v] of d.stats) add(stat, d.device, v);
        const nohandler = num((await readText(join(ctx.paths.sysfs, 'class/net', d.device, 'statistics/rx_nohandler')))?.trim());
        if (nohandler !== undefined) add('receive_nohandler', d.device, nohandler);
      }
      return [...fams.values()];
    },
  };
}
