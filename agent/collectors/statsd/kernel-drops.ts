/**
 * Kernel-side UDP drops for our listeners, from /proc/net/udp and /proc/net/udp6: the last column ("drops") counts
 * datagrams the kernel discarded for a socket, usually because its receive buffer was full. These are packets the
 * host lost before the agent could read them; they are exposed as outrider_statsd_kernel_drops_total. The file is
 * parsed by the collectors' one /proc/net/udp parser (../proc-net-udp.ts).
 */
import type { UdpSocketRow } from '../proc-net-udp';

export { parseProcNetUdp } from '../proc-net-udp';
export type { UdpSocketRow } from '../proc-net-udp';

/** The kernel's hex form of an IP address as it appears in /proc/net/udp{,6} (each 32-bit word little-endian). */
export function addressToProcHex(ip: string, family: 4 | 6): string {
  if (family === 4) {
    const b = ip.split('.').map(Number);
    return [b[3], b[2], b[1], b[0]]
      .map((x) => x!.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
  }
  const words = expandIpv6(ip);
  let out = '';
  for (let w = 0; w < 4; w++) {
    const bytes = [words[w * 2]! >> 8, words[w * 2]! & 0xff, words[w * 2 + 1]! >> 8, words[w * 2 + 1]! & 0xff];
    out += [bytes[3], bytes[2], bytes[1], bytes[0]].map((x) => x!.toString(16).padStart(2, '0')).join('');
  }
  return out.toUpperCase();
}

function expandIpv6(ip: string): number[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':').filter((x) => x !== '') : [];
  const t = tail ? tail.split(':').filter((x) => x !== '') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array(fill).fill('0'), ...t].map((x) => parseInt(x, 16));
}

/** Sum of drops of the sockets bound to `port` on `ip` (or on any address when ip is the wildcard). */
export function dropsFor(rows: readonly UdpSocketRow[], ip: string, port: number, family: 4 | 6): number {
  const hex = addressToProcHex(ip, family);
  let n = 0;
  for (const r of rows) if (r.port === port && r.addressHex === hex && r.drops !== undefined) n += r.drops;
  return n;
}
