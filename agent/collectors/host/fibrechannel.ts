/**
 * fibrechannel: /sys/class/fc_host/<host>/* → node_fibrechannel_info{fc_host,speed,port_state,…} and the port
 * counters of statistics/ (hexadecimal, 0x…) as node_fibrechannel_*_total{fc_host}, as node_exporter's fibrechannel
 * collector. A counter reading all ones (2^64-1) is the driver's "not supported" and is left out, as is a host without
 * statistics/. No /sys/class/fc_host: NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readTrim } from './sysfs-attrs';
import { listDir, quote } from './text';

/** [statistics file, metric, help]. */
const counters: Array<[string, string, string]> = [
  ['dumped_frames', 'dumped_frames_total', 'Number of dumped frames'],
  ['error_frames', 'error_frames_total', 'Number of errors in frames'],
  ['invalid_crc_count', 'invalid_crc_total', 'Invalid Cyclic Redundancy Check count'],
  ['rx_frames', 'rx_frames_total', 'Number of frames received'],
  ['rx_words', 'rx_words_total', 'Number of words received by host port'],
  ['tx_frames', 'tx_frames_total', 'Number of frames transmitted by host port'],
  ['tx_words', 'tx_words_total', 'Number of words transmitted by host port'],
  ['seconds_since_last_reset', 'seconds_since_last_reset_total', 'Number of seconds since last host port reset'],
  ['invalid_tx_word_count', 'invalid_tx_words_total', 'Number of invalid words transmitted by host port'],
  ['link_failure_count', 'link_failure_total', 'Number of times the host port link has failed'],
  ['loss_of_sync_count', 'loss_of_sync_total', 'Number of failures on either bit or transmission word boundaries'],
  ['loss_of_signal_count', 'loss_of_signal_total', 'Number of times signal has been lost'],
  ['nos_count', 'nos_total', 'Number Not_Operational Primitive Sequence received by host port'],
  ['fcp_packet_aborts', 'fcp_packet_aborts_total', 'Number of aborted packets'],
];
/** [attribute, label, strip the 0x prefix]. */
const infoAttrs: Array<[string, string, boolean]> = [
  ['speed', 'speed', false],
  ['port_state', 'port_state', false],
  ['port_type', 'port_type', false],
  ['port_id', 'port_id', true],
  ['port_name', 'port_name', true],
  ['fabric_name', 'fabric_name', true],
  ['symbolic_name', 'symbolic_name', false],
  ['supported_classes', 'supported_classes', false],
  ['supported_speeds', 'supported_speeds', false],
  ['dev_loss_tmo', 'dev_loss_tmo', false],
];

const allOnes = 0xffffffffffffffffn;

/** A counter as the kernel writes it (0x-hex or decimal); undefined when unsupported (all ones) or not a number. */
export function parseFcCounter(s: string, issues: Issues = [], where = ''): number | undefined {
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(s) || /^\d+$/.test(s)) v = BigInt(s);
  else {
    issues.push(`fibrechannel: ${where} is not a counter: ${quote(s)}`);
    return undefined;
  }
  return v === allOnes ? undefined : Number(v);
}

export interface FcHost {
  name: string;
  attrs: Map<string, string>;
  /** statistics file → text; undefined when the host has no statistics directory. */
  stats: Map<string, string> | undefined;
}

export function fibreChannelFamilies(hosts: FcHost[], issues: Issues = []): FamilySamples[] {
  const info = family('node_fibrechannel_info', 'Non-numeric data from /sys/class/fc_host/<host>, value is always 1.', 'gauge');
  const fams = counters.map(([, metric, help]) => family(`node_fibrechannel_${metric}`, help, 'counter'));
  for (const h of hosts) {
    if (!h.stats) continue;
    const labels: Record<string, string> = { fc_host: h.name };
    for (const [attr, label, strip] of infoAttrs) {
      let v = h.attrs.get(attr) ?? '';
      if (strip && v.length > 2) v = v.slice(2);
      labels[label] = v;
    }
    info.samples.push({ labels, value: 1 });
    counters.forEach(([file], i) => {
      const raw = h.stats!.get(file);
      if (raw === undefined) return;
      const v = parseFcCounter(raw, issues, `${h.name}/statistics/${file}`);
      if (v !== undefined) fams[i]!.samples.push({ labels: { fc_host: h.name }, value: v });
    });
  }
  return [info, ...fams].filter((f) => f.samples.length > 0);
}

export function fibreChannelCollector(): Collector {
  return {
    name: 'fibrechannel',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/fc_host');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const hosts: FcHost[] = [];
      for (const name of entries.sort()) {
        const dir = join(base, name);
        const attrs = new Map<string, string>();
        for (const [a] of infoAttrs) {
          const v = readTrim(join(dir, a));
          if (v !== undefined) attrs.set(a, v);
        }
        const files = listDir(join(dir, 'statistics'));
        let stats: Map<string, string> | undefined;
        if (files) {
          stats = new Map();
          for (const [f] of counters) {
            const v = readTrim(join(dir, 'statistics', f));
            if (v !== undefined) stats.set(f, v);
          }
        }
        hosts.push({ name, attrs, stats });
      }
      return fibreChannelFamilies(hosts, ctx.issues);
    },
  };
}
