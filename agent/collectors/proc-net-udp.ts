/**
 * /proc/net/udp and /proc/net/udp6: one row per UDP socket. Read by the udp_queues host collector (queued bytes,
 * summed) and by StatsD (kernel drops of its own listeners).
 *
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 *   0: 0100007F:1FBD 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12345 2 ffff... 0
 *
 * Addresses are hexadecimal in the kernel's byte order; queues are hexadecimal byte counts; `drops` is decimal and
 * only present on kernels that have the column.
 */
import type { Issues } from './collector';

export interface UdpSocketRow {
  /** Local address as hex (kernel byte order, upper case); empty when the column is malformed. */
  addressHex: string;
  port: number;
  inode: number;
  txQueue: number;
  rxQueue: number;
  /** Datagrams the kernel discarded for the socket; undefined when the kernel has no drops column. */
  drops: number | undefined;
}

const hexRe = /^[0-9a-fA-F]+$/;

/** Rows with a readable `tx_queue:rx_queue` column; any other line after the header is noted in `issues`. */
export function parseProcNetUdp(text: string, issues: Issues = []): UdpSocketRow[] {
  const rows: UdpSocketRow[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const q = f[4]?.split(':');
    if (q?.length !== 2 || !hexRe.test(q[0]!) || !hexRe.test(q[1]!)) {
      issues.push(`socket line ${JSON.stringify(line.length > 60 ? line.slice(0, 60) + '…' : line)} has no tx_queue:rx_queue column`);
      continue;
    }
    const [addr, port] = (f[1] ?? '').split(':');
    const drops = f.length >= 13 ? Number(f[12]) : undefined;
    rows.push({
      addressHex: (addr ?? '').toUpperCase(),
      port: port ? parseInt(port, 16) : 0,
      inode: Number(f[9]),
      txQueue: parseInt(q[0]!, 16),
      rxQueue: parseInt(q[1]!, 16),
      drops: drops !== undefined && Number.isFinite(drops) ? drops : undefined,
    });
  }
  return rows;
}
