/**
 * Kernel-side UDP drops for our listeners, from /proc/net/udp and /proc/net/udp6: the last column ("drops") counts
 * datagrams the kernel discarded for a socket, usually because its receive buffer was full. These are packets the
 * host lost before the agent could read them; they are exposed as outrider_statsd_kernel_drops_total.
 *
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 *   0: 0100007F:1FBD 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12345 2 ffff... 0
 */
export interface UdpSocketRow {
  /** Local address as hex (kernel byte order) and port. */
  addressHex: string;
  port: number;
  inode: number;
  rxQueue: number;
  drops: number;
}

export function parseProcNetUdp(text: string): UdpSocketRow[] {
  const rows: UdpSocketRow[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 13) continue;
    const [addr, port] = f[1]!.split(':');
    const rx = f[4]!.split(':')[1];
    if (!addr || !port || rx === undefined) continue;
    rows.push({ addressHex: addr.toUpperCase(), port: parseInt(port, 16), inode: Number(f[9]), rxQueue: parseInt(rx, 16), drops: Number(f[12]) });
  }
  return rows;
}

/** The kernel's hex form of an IP address as it appears in /proc/net/udp{,6} (each 32-bit word little-endian). */
export function addressToProcHex(ip: string, family: 4 | 6): string {
  if (family === 4) {
    const b = ip.split('.').map(Number);
    return [b[3], b[2], b[1], b[0]].map((x) => x!.toString(16).padStart(2, '0')).join('').toUpperCase();
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
  for (const r of rows) if (r.port === port && r.addressHex === hex) n += r.drops;
  return n;
}
