/**
 * infiniband: /sys/class/infiniband/<device>/{board_id,fw_ver,hca_type} → node_infiniband_info, and each port's
 * state, phys_state, rate and counters/* → node_infiniband_{state_id,physical_state_id,rate_bytes_per_second}
 * {device,port} and node_infiniband_*_total{device,port}, as node_exporter's infiniband collector. The data
 * counters count 32-bit words and are reported in bytes (×4); a counter reading "N/A" (no PMA) is left out. No
 * /sys/class/infiniband: NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readTrim } from './sysfs-attrs';
import { listDir, quote } from './text';

/** [counters file, metric, help, scale]. */
const counters: Array<[string, string, string, number]> = [
  [
    'excessive_buffer_overrun_errors',
    'excessive_buffer_overrun_errors_total',
    'Number of times that OverrunErrors consecutive flow control update periods occurred, each having at least one overrun error.',
    1,
  ],
  ['link_downed', 'link_downed_total', 'Number of times the link failed to recover from an error state and went down', 1],
  ['link_error_recovery', 'link_error_recovery_total', 'Number of times the link successfully recovered from an error state', 1],
  ['local_link_integrity_errors', 'local_link_integrity_errors_total', 'Number of times that the count of local physical errors exceeded the threshold specified by LocalPhyErrors.', 1],
  ['multicast_rcv_packets', 'multicast_packets_received_total', 'Number of multicast packets received (including errors)', 1],
  ['multicast_xmit_packets', 'multicast_packets_transmitted_total', 'Number of multicast packets transmitted (including errors)', 1],
  ['port_rcv_constraint_errors', 'port_constraint_errors_received_total', 'Number of packets received on the switch physical port that are discarded', 1],
  ['port_xmit_constraint_errors', 'port_constraint_errors_transmitted_total', 'Number of packets not transmitted from the switch physical port', 1],
  ['port_rcv_data', 'port_data_received_bytes_total', 'Number of data octets received on all links', 4],
  ['port_xmit_data', 'port_data_transmitted_bytes_total', 'Number of data octets transmitted on all links', 4],
  ['port_rcv_discards', 'port_discards_received_total', 'Number of inbound packets discarded by the port because the port is down or congested', 1],
  ['port_xmit_discards', 'port_discards_transmitted_total', 'Number of outbound packets discarded by the port because the port is down or congested', 1],
  ['port_rcv_errors', 'port_errors_received_total', 'Number of packets containing an error that were received on this port', 1],
  ['port_rcv_packets', 'port_packets_received_total', 'Number of packets received on all VLs by this port (including errors)', 1],
  ['port_xmit_packets', 'port_packets_transmitted_total', 'Number of packets transmitted on all VLs from this port (including errors)', 1],
  ['port_rcv_remote_physical_errors', 'port_receive_remote_physical_errors_total', 'Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port.', 1],
  ['port_rcv_switch_relay_errors', 'port_receive_switch_relay_errors_total', 'Number of packets that could not be forwarded by the switch.', 1],
  ['port_xmit_wait', 'port_transmit_wait_total', 'Number of ticks during which the port had data to transmit but no data was sent during the entire tick', 1],
  ['symbol_error', 'symbol_error_total', 'Number of minor link errors detected on one or more physical lanes.', 1],
  ['unicast_rcv_packets', 'unicast_packets_received_total', 'Number of unicast packets received (including errors)', 1],
  ['unicast_xmit_packets', 'unicast_packets_transmitted_total', 'Number of unicast packets transmitted (including errors)', 1],
  ['VL15_dropped', 'vl15_dropped_total', 'Number of incoming VL15 packets dropped due to resource limitations.', 1],
];

/** `4: ACTIVE` → 4. */
export function parseStateId(s: string | undefined): number | undefined {
  const m = s === undefined ? null : /^(\d+):/.exec(s);
  return m ? Number(m[1]) : undefined;
}

/** `100 Gb/sec (4X EDR)` → 12.5e9 bytes per second; undefined when not in Gb/sec. */
export function parseIbRate(s: string | undefined): number | undefined {
  const m = s === undefined ? null : /^(\d+(?:\.\d+)?) Gb\/sec/.exec(s);
  return m ? Number(m[1]) * 125_000_000 : undefined;
}

export interface IbPort {
  device: string;
  port: string;
  state: string | undefined;
  physState: string | undefined;
  rate: string | undefined;
  counters: Map<string, string>;
}

export interface IbDevice {
  device: string;
  boardId: string;
  firmwareVersion: string;
  hcaType: string;
  ports: IbPort[];
}

export function infinibandFamilies(devices: IbDevice[], issues: Issues = []): FamilySamples[] {
  const info = family('node_infiniband_info', 'Non-numeric data from /sys/class/infiniband/<device>, value is always 1.', 'gauge');
  const state = family('node_infiniband_state_id', 'State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)', 'gauge');
  const phys = family(
    'node_infiniband_physical_state_id',
    'Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)',
    'gauge',
  );
  const rate = family('node_infiniband_rate_bytes_per_second', 'Maximum signal transfer rate', 'gauge');
  const fams = counters.map(([, metric, help]) => family(`node_infiniband_${metric}`, help, 'counter'));
  for (const d of devices) {
    info.samples.push({ labels: { board_id: d.boardId, device: d.device, firmware_version: d.firmwareVersion, hca_type: d.hcaType }, value: 1 });
    for (const p of d.ports) {
      const labels = { device: p.device, port: p.port };
      const s = parseStateId(p.state);
      const ph = parseStateId(p.physState);
      const r = parseIbRate(p.rate);
      if (s !== undefined) state.samples.push({ labels, value: s });
      if (ph !== undefined) phys.samples.push({ labels, value: ph });
      if (r !== undefined) rate.samples.push({ labels, value: r });
      else if (p.rate !== undefined) issues.push(`infiniband: ${p.device} port ${p.port}: rate ${quote(p.rate)} is not in Gb/sec`);
      counters.forEach(([file, , , scale], i) => {
        const raw = p.counters.get(file);
        if (raw === undefined || raw.startsWith('N/A')) return;
        if (!/^\d+$/.test(raw)) {
          issues.push(`infiniband: ${p.device} port ${p.port}: ${file} is not a count: ${quote(raw)}`);
          return;
        }
        fams[i]!.samples.push({ labels, value: Number(raw) * scale });
      });
    }
  }
  return [info, state, phys, rate, ...fams].filter((f) => f.samples.length > 0);
}

export function infinibandCollector(): Collector {
  return {
    name: 'infiniband',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/infiniband');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const devices: IbDevice[] = [];
      for (const device of entries.sort()) {
        const dir = join(base, device);
        const ports: IbPort[] = [];
        for (const port of (listDir(join(dir, 'ports')) ?? []).filter((p) => /^\d+$/.test(p)).sort((a, b) => Number(a) - Number(b))) {
          const pdir = join(dir, 'ports', port);
          const cs = new Map<string, string>();
          for (const [file] of counters) {
            const v = readTrim(join(pdir, 'counters', file));
            if (v !== undefined) cs.set(file, v);
          }
          ports.push({ device, port, state: readTrim(join(pdir, 'state')), physState: readTrim(join(pdir, 'phys_state')), rate: readTrim(join(pdir, 'rate')), counters: cs });
        }
        devices.push({ device, boardId: readTrim(join(dir, 'board_id')) ?? '', firmwareVersion: readTrim(join(dir, 'fw_ver')) ?? '', hcaType: readTrim(join(dir, 'hca_type')) ?? '', ports });
      }
      return infinibandFamilies(devices, ctx.issues);
    },
  };
}
