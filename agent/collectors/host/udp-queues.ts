/**
 * udp_queues: /proc/net/udp and /proc/net/udp6 → node_udp_queues{ip="v4"|"v6",queue="tx"|"rx"}, the memory the
 * kernel holds for queued UDP datagrams summed over sockets (the hexadecimal `tx_queue:rx_queue` column).
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { parseProcNetUdp } from '../proc-net-udp';
import { Issues, readText } from './text';

/** tx_queue and rx_queue summed over the sockets of one file. */
export function parseUdpQueues(text: string, issues: Issues = []): { tx: number; rx: number } {
  let tx = 0;
  let rx = 0;
  for (const row of parseProcNetUdp(text, issues)) {
    tx += row.txQueue;
    rx += row.rxQueue;
  }
  return { tx, rx };
}

export function udpQueuesCollector(): Collector {
  return {
    name: 'udp_queues',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const fam = family('node_udp_queues', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', 'gauge');
      for (const [file, ip] of [
        ['udp', 'v4'],
        ['udp6', 'v6'],
      ] as const) {
        const text = await readText(join(ctx.paths.procfs, 'net', file));
        if (text === undefined) continue;
        const q = parseUdpQueues(text, ctx.issues);
        fam.samples.push({ labels: { ip, queue: 'tx' }, value: q.tx }, { labels: { ip, queue: 'rx' }, value: q.rx });
      }
      if (fam.samples.length === 0) throw new NoDataError('no /proc/net/udp or /proc/net/udp6');
      return [fam];
    },
  };
}
