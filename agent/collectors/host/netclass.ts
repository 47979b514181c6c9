/**
 * netclass: /sys/class/net/<iface>/* → node_network_info{adminstate,address,broadcast,device,duplex,ifalias,operstate},
 * node_network_up and the numeric interface properties (mtu_bytes, speed_bytes, carrier, flags, ...) as
 * node_exporter's netclass collector names them. Attributes an interface refuses to report (reading `speed` of lo
 * fails with EINVAL) are left out. `speed` is Mbit/s → bytes/s (× 125000); an unknown speed (-1) is reported as the
 * kernel gives it, -125000, as node_exporter does, or left out with `collectors.netclass.ignore_invalid_speed`
 * (node_exporter's --collector.netclass.ignore-invalid-speed): a negative speed then reports no speed_bytes.
 * Between collections the collector remembers each interface: the attributes fixed at its creation are read again
 * only on a slow refresh, and attributes it refused (EINVAL, absent) only after its state changes (`slowFiles`).
 *
 * Where the addon is loaded and sysfs is the host's own (`/sys`), each collection takes state, addresses, mtu,
 * queue length, carrier counters, group, link mode, type and ids from one rtnetlink link dump instead of one sysfs
 * read per attribute (netclass-netlink.ts renders them as sysfs would); speed, duplex and the assign types stay
 * sysfs reads. With another `path.sysfs` (a fixture tree, a host root mounted elsewhere), without the addon, or when a
 * dump fails, every attribute is read from sysfs as before.
 */
import { keptFiles } from '../kept-files';
import { createLinkDumper, type Link, type LinkDumpResult } from '../../native/netlink';
import { linkAttr } from './netclass-netlink';
import { join } from 'node:path';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples, MetricType } from '../../store/types';
import { hostOptions } from './options';
import { listDir, num } from './text';

/** A sysfs attribute, trimmed; undefined when absent or unreadable (EINVAL, EOPNOTSUPP for virtual devices). */
export function readAttr(path: string): string | undefined {
  try {
    return keptFiles.read(path)?.trim();
  } catch {
    return undefined;
  }
}

/** A sysfs integer: decimal, or hexadecimal with 0x (dev_id, flags). */
export function parseSysInt(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  return num(s);
}

/** [metric suffix, attribute file, type, scale] in node_exporter's terms. */
const props: Array<[string, string, MetricType, number]> = [
  ['address_assign_type', 'addr_assign_type', 'gauge', 1],
  ['carrier', 'carrier', 'gauge', 1],
  ['carrier_changes_total', 'carrier_changes', 'counter', 1],
  ['carrier_up_changes_total', 'carrier_up_count', 'counter', 1],
  ['carrier_down_changes_total', 'carrier_down_count', 'counter', 1],
  ['device_id', 'dev_id', 'gauge', 1],
  ['dormant', 'dormant', 'gauge', 1],
  ['flags', 'flags', 'gauge', 1],
  ['iface_id', 'ifindex', 'gauge', 1],
  ['iface_link', 'iflink', 'gauge', 1],
  ['iface_link_mode', 'link_mode', 'gauge', 1],
  ['mtu_bytes', 'mtu', 'gauge', 1],
  ['name_assign_type', 'name_assign_type', 'gauge', 1],
  ['net_dev_group', 'netdev_group', 'gauge', 1],
  ['speed_bytes', 'speed', 'gauge', 125000],
  ['transmit_queue_length', 'tx_queue_len', 'gauge', 1],
  ['protocol_type', 'type', 'gauge', 1],
];

/** Each property's family name and help, made once. */
const propDescs = props.map(([name, , type]) => ({ name: `node_network_${name}`, help: `Network device property: ${name}`, type }));

/** node_exporter 1.6+: "up" when IFF_UP (0x1) is set in the interface's flags, "down" if not, "unknown" without flags. */
export function adminState(flags: string | undefined): string {
  const v = parseSysInt(flags);
  if (v === undefined) return 'unknown';
  return (v & 1) === 1 ? 'up' : 'down';
}

/**
 * Attributes the kernel fixes when it creates the interface, or that only a rare administrative act changes (type,
 * ifindex-derived ids, how the name and address were assigned, link mode, group, broadcast address): read when the
 * interface is first seen, when its ifindex changes (deleted and made again under the same name) and every
 * `slowRefreshMs`. The link's negotiated mode (speed, duplex) is read again when the interface's state (operstate,
 * carrier, flags) changes, since a renegotiation takes the carrier down, and every `linkRefreshMs` for what changes
 * it without (a bond gaining a member): reading `speed` or `duplex` asks the driver under the kernel's rtnl lock.
 * Everything else (state, carrier and its counters, flags, mtu, queue length, address, alias) is read every
 * collection, as node_exporter reads it.
 */
const slowFiles = new Set(['addr_assign_type', 'broadcast', 'dev_id', 'iflink', 'link_mode', 'name_assign_type', 'netdev_group', 'type']);
/** Read every collection whatever they answered before: they say whether the others may have changed. */
const stateFiles = new Set(['operstate', 'carrier', 'flags', 'ifindex']);
export const slowRefreshMs = 60_000;
/** Kept between state changes for at most `linkRefreshMs`. */
const linkFiles = new Set(['speed', 'duplex']);
export const linkRefreshMs = 10_000;

/** What the collector remembers of one interface between collections. */
interface Iface {
  ifindex: string | undefined;
  /** operstate, carrier and flags as last read: a change retries the refused attributes. */
  state: string;
  refreshedMs: number;
  /** Whether `slow` was filled beside a link dump (it then holds only the attributes the dump lacks). */
  viaLinks: boolean;
  slow: Map<string, string | undefined>;
  /** Per-collection attributes the interface did not report (absent, EINVAL): not read again until `state` changes. */
  refused: Set<string>;
  /** Speed and duplex as last read, at `linkReadMs`: read again when `state` changes or after `linkRefreshMs`. */
  linkMode: Map<string, string>;
  linkReadMs: number;
  /** Attribute file → its path under the interface's directory, made once. */
  paths: Map<string, string>;
}

/** Where link dumps come from: the addon's dumper by default; tests inject their own. */
export interface NetclassOptions {
  /** Opens a link source; undefined: none (sysfs only). Called once, on the first collection that may use it. */
  openLinks?: () => { dump(): LinkDumpResult; close(): void } | undefined;
  /** The sysfs root whose interfaces the dump describes (default `/sys`); any other root is read from sysfs only. */
  linksSysfs?: string;
}

/** Consecutive failed dumps after which the collector stops asking and reads sysfs only. */
export const maxDumpFailures = 3;

/** The dump's links by name, or undefined when one of them is not among sysfs's `names`. */
function linksByName(dumped: readonly Link[], names: Set<string>): Map<string, Link> | undefined {
  const links = new Map<string, Link>();
  for (const l of dumped) {
    if (!names.has(l.name)) return undefined;
    links.set(l.name, l);
  }
  return links;
}

export function netclassCollector(opts: NetclassOptions = {}): Collector {
  const known = new Map<string, Iface>();
  const openLinks = opts.openLinks ?? (() => createLinkDumper());
  const linksSysfs = opts.linksSysfs ?? '/sys';
  let source: ReturnType<typeof openLinks> | null = null;
  let opened = false;
  let failures = 0;
  /** The dump of this collection by name, or undefined (sysfs only). */
  const dumpLinks = (ctx: { paths: { sysfs: string }; issues: string[] }, names: Set<string>): Map<string, Link> | undefined => {
    if (ctx.paths.sysfs !== linksSysfs) return undefined;
    if (!opened) {
      opened = true;
      source = openLinks() ?? null;
    }
    if (!source) return undefined;
    const r = source.dump();
    if (!r.ok) ctx.issues.push(`rtnetlink link dump failed (${r.reason}); read from sysfs`);
    // A link sysfs does not list: the dump describes another network namespace than the mounted sysfs (or an
    // interface came between the two reads). Counted like a failure, so a lasting mismatch stops the dumps instead
    // of paying for a dump and every sysfs read each round.
    const links = r.ok ? linksByName(r.links, names) : undefined;
    if (links) {
      failures = 0;
      return links;
    }
    if (++failures >= maxDumpFailures) {
      source.close();
      source = null;
    }
    return undefined;
  };
  return {
    name: 'netclass',
    defaultEnabled: true,
    close(): void {
      source?.close();
      source = null;
    },
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/net');
      const ifaces = listDir(base);
      if (!ifaces) throw new NoDataError(`${base} does not exist`);
      const links = dumpLinks(ctx, new Set(ifaces));
      const { exclude, ignoreInvalidSpeed } = hostOptions(ctx.config).netclass;
      const info = family('node_network_info', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', 'gauge');
      const up = family('node_network_up', "Value is 1 if operstate is 'up', 0 otherwise.", 'gauge');
      const fams = propDescs.map((d) => family(d.name, d.help, d.type));
      const seen = new Set<string>();
      for (const device of ifaces.sort()) {
        if (exclude?.test(device)) continue;
        const dir = join(base, device);
        let mem = known.get(device);
        // The attribute paths of an interface seen before are kept (the same strings every collection).
        const paths = mem !== undefined && mem.paths.get('') === dir ? mem.paths : new Map([['', dir]]);
        const path = (file: string): string => {
          let p = paths.get(file);
          if (p === undefined) {
            p = join(dir, file);
            paths.set(file, p);
          }
          return p;
        };
        const link = links?.get(device);
        /** The dump's text for `file`; null when the dump does not carry it (or there is no dump). */
        const fromLink = (file: string): string | undefined | null => (link === undefined ? null : linkAttr(link, file));
        const read = (file: string): string | undefined => {
          const v = fromLink(file);
          return v === null ? readAttr(path(file)) : v;
        };
        const operstate = read('operstate');
        const ifindex = read('ifindex');
        if (operstate === undefined && ifindex === undefined) continue; // not an interface directory
        seen.add(device);
        const flags = read('flags');
        const carrier = read('carrier');
        const state = `${operstate ?? ''} ${carrier ?? ''} ${flags ?? ''}`;
        if (mem === undefined || mem.ifindex !== ifindex || mem.viaLinks !== (link !== undefined) || ctx.nowMs - mem.refreshedMs >= slowRefreshMs || ctx.nowMs < mem.refreshedMs) {
          mem = { ifindex, state, refreshedMs: ctx.nowMs, viaLinks: link !== undefined, slow: new Map(), refused: new Set(), linkMode: new Map(), linkReadMs: ctx.nowMs, paths };
          for (const f of slowFiles) if (fromLink(f) === null) mem.slow.set(f, readAttr(path(f)));
          known.set(device, mem);
        } else if (mem.state !== state) {
          mem.state = state;
          mem.refused.clear();
          mem.linkMode.clear();
          mem.linkReadMs = ctx.nowMs;
        } else if (ctx.nowMs - mem.linkReadMs >= linkRefreshMs || ctx.nowMs < mem.linkReadMs) {
          mem.linkMode.clear();
          mem.linkReadMs = ctx.nowMs;
        }
        const m = mem;
        const attr = (file: string): string | undefined => {
          if (file === 'operstate') return operstate;
          if (file === 'ifindex') return ifindex;
          if (file === 'flags') return flags;
          if (file === 'carrier') return carrier;
          const v0 = fromLink(file);
          if (v0 !== null) return v0;
          if (slowFiles.has(file)) return m.slow.get(file);
          if (m.refused.has(file)) return undefined;
          const kept = m.linkMode.get(file);
          if (kept !== undefined) return kept;
          const v = readAttr(path(file));
          if (v === undefined && !stateFiles.has(file)) m.refused.add(file);
          else if (v !== undefined && linkFiles.has(file)) m.linkMode.set(file, v);
          return v;
        };
        info.samples.push({
          labels: {
            device,
            address: attr('address') ?? '',
            broadcast: attr('broadcast') ?? '',
            duplex: attr('duplex') ?? '',
            ifalias: attr('ifalias') ?? '',
            operstate: operstate ?? '',
            adminstate: adminState(flags),
          },
          value: 1,
        });
        up.samples.push({ labels: { device }, value: operstate === 'up' ? 1 : 0 });
        props.forEach(([, file, , scale], i) => {
          const v = parseSysInt(attr(file));
          if (v === undefined || (ignoreInvalidSpeed && file === 'speed' && v < 0)) return;
          fams[i]!.samples.push({ labels: { device }, value: v * scale });
        });
      }
      for (const device of known.keys()) if (!seen.has(device)) known.delete(device);
      return [info, up, ...fams].filter((f) => f.samples.length > 0);
    },
  };
}
