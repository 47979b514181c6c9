/**
 * ipvs: /proc/net/ip_vs_stats (hexadecimal totals) → node_ipvs_{connections,incoming_packets,outgoing_packets,
 * incoming_bytes,outgoing_bytes}_total, and /proc/net/ip_vs (virtual services and their real servers) →
 * node_ipvs_backend_{connections_active,connections_inactive,weight}{local_address,local_port,local_mark,
 * remote_address,remote_port,proto}, as node_exporter's ipvs collector. Backends with equal labels are summed.
 * No /proc/net/ip_vs_stats (the module is not loaded): NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, lines, quote, readText, readTextRequired } from './text';

export interface IpvsStats {
  connections: number;
  incomingPackets: number;
  outgoingPackets: number;
  incomingBytes: number;
  outgoingBytes: number;
}

export function parseIpvsStats(text: string): IpvsStats | undefined {
  const ls = lines(text);
  const f = fields(ls[2] ?? '');
  if (f.length !== 5 || !f.every((x) => /^[0-9A-Fa-f]+$/.test(x))) return undefined;
  const [c, ip, op, ib, ob] = f.map((x) => Number(BigInt('0x' + x)));
  return { connections: c!, incomingPackets: ip!, outgoingPackets: op!, incomingBytes: ib!, outgoingBytes: ob! };
}

/** Formats an address as Go's net.IP.String does: dotted IPv4, or IPv6 with the longest zero run compressed. */
export function formatAddress(hex: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(hex)) {
    return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  }
  const m = /^\[([0-9A-Fa-f:]+)\]$/.exec(hex);
  if (!m) return undefined;
  try {
    return new URL(`http://[${m[1]}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function splitAddrPort(s: string): { address: string; port: string } | undefined {
  const i = s.lastIndexOf(':');
  if (i < 0) return undefined;
  const address = formatAddress(s.slice(0, i));
  const port = s.slice(i + 1);
  if (address === undefined || !/^[0-9A-Fa-f]{4}$/.test(port)) return undefined;
  return { address, port: String(parseInt(port, 16)) };
}

export interface IpvsBackend {
  labels: Record<string, string>;
  active: number;
  inactive: number;
  weight: number;
}

export function parseIpvs(text: string, issues: Issues = []): IpvsBackend[] {
  const out: IpvsBackend[] = [];
  let service: Record<string, string> | undefined;
  for (const l of lines(text).slice(3)) {
    const f = fields(l);
    if (f[0] === 'TCP' || f[0] === 'UDP' || f[0] === 'SCTP') {
      const ap = splitAddrPort(f[1] ?? '');
      service = ap ? { proto: f[0], local_address: ap.address, local_port: ap.port, local_mark: '' } : undefined;
      if (!ap) issues.push(`ipvs: skipped service ${quote(l)}`);
    } else if (f[0] === 'FWM') {
      service = { proto: 'FWM', local_address: '', local_port: '0', local_mark: f[1] ?? '' };
    } else if (f[0] === '->') {
      const ap = splitAddrPort(f[1] ?? '');
      const [w, a, i] = [f[3], f[4], f[5]].map((x) => (x !== undefined && /^\d+$/.test(x) ? Number(x) : undefined));
      if (!service || !ap || w === undefined || a === undefined || i === undefined) {
        issues.push(`ipvs: skipped backend ${quote(l)}`);
        continue;
      }
      out.push({ labels: { ...service, remote_address: ap.address, remote_port: ap.port }, active: a, inactive: i, weight: w });
    } else {
      issues.push(`ipvs: skipped line ${quote(l)}`);
    }
  }
  return out;
}

export function ipvsFamilies(stats: IpvsStats, backends: IpvsBackend[]): FamilySamples[] {
  const c = (name: string, help: string, value: number) => family(name, help, 'counter', [{ labels: {}, value }]);
  const sums = new Map<string, IpvsBackend>();
  for (const b of backends) {
    const k = JSON.stringify(Object.entries(b.labels).sort());
    const s = sums.get(k);
    if (s) {
      s.active += b.active;
      s.inactive += b.inactive;
      s.weight += b.weight;
    } else sums.set(k, { ...b });
  }
  const g = (name: string, help: string, pick: (b: IpvsBackend) => number) =>
    family(
      name,
      help,
      'gauge',
      [...sums.values()].map((b) => ({ labels: b.labels, value: pick(b) })),
    );
  return [
    c('node_ipvs_connections_total', 'The total number of connections made.', stats.connections),
    c('node_ipvs_incoming_packets_total', 'The total number of incoming packets.', stats.incomingPackets),
    c('node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', stats.outgoingPackets),
    c('node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', stats.incomingBytes),
    c('node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', stats.outgoingBytes),
    g('node_ipvs_backend_connections_active', 'The current active connections by local and remote address.', (b) => b.active),
    g('node_ipvs_backend_connections_inactive', 'The current inactive connections by local and remote address.', (b) => b.inactive),
    g('node_ipvs_backend_weight', 'The current backend weight by local and remote address.', (b) => b.weight),
  ];
}

export function ipvsCollector(): Collector {
  return {
    name: 'ipvs',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const statsText = await readTextRequired(join(ctx.paths.procfs, 'net/ip_vs_stats'));
      const stats = parseIpvsStats(statsText);
      if (!stats) throw new Error(`ipvs: ${join(ctx.paths.procfs, 'net/ip_vs_stats')} is not in the kernel's format`);
      const backends = parseIpvs((await readText(join(ctx.paths.procfs, 'net/ip_vs'))) ?? '', ctx.issues);
      return ipvsFamilies(stats, backends);
    },
  };
}
