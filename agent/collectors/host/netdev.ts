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

/** The stat names of the last header seen (the kernel prints the same one every read): made once. */
let namesFor: string | undefined;
let lastNames: string[] = [];

function statNames(header: string | undefined, rx: string[], tx: string[]): string[] {
  if (header !== undefined && header === namesFor) return lastNames;
  const names = [...rx.map((n) => `receive_${n}`), ...tx.map((n) => `transmit_${n}`)];
  namesFor = header;
  lastNames = names;
  return names;
}

export function parseNetDev(text: string, issues: Issues = []): NetDevStats[] {
  const all = lines(text);
  let rx = defaultRx;
  let tx = defaultTx;
  const header = all.find((l) => l.includes('|') && /bytes/.test(l));
  if (header && header !== namesFor) {
    const parts = header.split('|');
    if (parts.length >= 3) {
      rx = fields(parts[1]!);
      tx = fields(parts[2]!);
    }
  }
  const names = statNames(header, rx, tx);
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

/** Bound on the remembered stat names and devices. */
const MAX_KNOWN = 1024;

export function netdevCollector(): Collector {
  // Per stat, its family's name and help; per device, its label set: the same every round, made once (bounded).
  const descs = new Map<string, { name: string; help: string }>();
  const deviceLabels = new Map<string, { device: string }>();
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
          let d = descs.get(stat);
          if (d === undefined) {
            if (descs.size >= MAX_KNOWN) descs.clear();
            d = { name: `node_network_${stat}_total`, help: `Network device statistic ${stat}.` };
            descs.set(stat, d);
          }
          f = family(d.name, d.help, 'counter');
          fams.set(stat, f);
        }
        let labels = deviceLabels.get(device);
        if (labels === undefined) {
          if (deviceLabels.size >= MAX_KNOWN) deviceLabels.clear();
          labels = { device };
          deviceLabels.set(device, labels);
        }
        f.samples.push({ labels, value: v });
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
