/**
 * NVML snapshot → families, under dcgm-exporter's names, units and labels (`DCGM_FI_DEV_*` with gpu, UUID,
 * pci_bus_id, device, modelName, Hostname, DCGM_FI_DRIVER_VERSION), so its Grafana dashboard (12239) reads them
 * unchanged. What dcgm-exporter has no field for uses outrider_gpu_* names. The table is in docs/collectors.md.
 */
import type { NvmlDevice, NvmlField, NvmlSnapshot } from '../../native/gpu';
import type { FamilySamples, MetricType } from '../../store/types';
import { family } from '../collector';
import { DeviceSelection, isVisible, ProcessFilter } from './visible';

interface FieldSpec {
  field: NvmlField;
  name: string;
  help: string;
  type: MetricType;
  /** NVML's unit → the metric's unit. */
  scale: number;
}

const MiB = 1024 * 1024;

/** In dcgm-exporter's default-counters.csv order, then the rest. */
export const nvmlFields: readonly FieldSpec[] = [
  { field: 'smClock', name: 'DCGM_FI_DEV_SM_CLOCK', help: 'SM clock frequency (in MHz).', type: 'gauge', scale: 1 },
  { field: 'memClock', name: 'DCGM_FI_DEV_MEM_CLOCK', help: 'Memory clock frequency (in MHz).', type: 'gauge', scale: 1 },
  { field: 'gpuTemp', name: 'DCGM_FI_DEV_GPU_TEMP', help: 'GPU temperature (in C).', type: 'gauge', scale: 1 },
  { field: 'powerUsage', name: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).', type: 'gauge', scale: 1 / 1000 },
  { field: 'energy', name: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', help: 'Total energy consumption since boot (in mJ).', type: 'counter', scale: 1 },
  { field: 'gpuUtil', name: 'DCGM_FI_DEV_GPU_UTIL', help: 'GPU utilization (in %).', type: 'gauge', scale: 1 },
  { field: 'memCopyUtil', name: 'DCGM_FI_DEV_MEM_COPY_UTIL', help: 'Memory utilization (in %).', type: 'gauge', scale: 1 },
  { field: 'fbFree', name: 'DCGM_FI_DEV_FB_FREE', help: 'Framebuffer memory free (in MiB).', type: 'gauge', scale: 1 / MiB },
  { field: 'fbUsed', name: 'DCGM_FI_DEV_FB_USED', help: 'Framebuffer memory used (in MiB).', type: 'gauge', scale: 1 / MiB },
  { field: 'fbTotal', name: 'DCGM_FI_DEV_FB_TOTAL', help: 'Framebuffer memory total (in MiB).', type: 'gauge', scale: 1 / MiB },
  { field: 'powerLimit', name: 'DCGM_FI_DEV_POWER_MGMT_LIMIT', help: 'Enforced power limit (in W).', type: 'gauge', scale: 1 / 1000 },
  { field: 'pcieTx', name: 'DCGM_FI_DEV_PCIE_TX_THROUGHPUT', help: "PCIe transmit throughput over NVML's last 20 ms sample (in KB/s).", type: 'gauge', scale: 1 },
  { field: 'pcieRx', name: 'DCGM_FI_DEV_PCIE_RX_THROUGHPUT', help: "PCIe receive throughput over NVML's last 20 ms sample (in KB/s).", type: 'gauge', scale: 1 },
  { field: 'eccSbeVolatile', name: 'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', help: 'Total number of single-bit volatile ECC errors.', type: 'counter', scale: 1 },
  { field: 'eccDbeVolatile', name: 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', help: 'Total number of double-bit volatile ECC errors.', type: 'counter', scale: 1 },
  { field: 'eccSbeAggregate', name: 'DCGM_FI_DEV_ECC_SBE_AGG_TOTAL', help: 'Total number of single-bit persistent ECC errors.', type: 'counter', scale: 1 },
  { field: 'eccDbeAggregate', name: 'DCGM_FI_DEV_ECC_DBE_AGG_TOTAL', help: 'Total number of double-bit persistent ECC errors.', type: 'counter', scale: 1 },
  { field: 'throttleReasons', name: 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', help: 'Current clock throttle reasons (bitmask of nvmlClocksThrottleReasons).', type: 'gauge', scale: 1 },
];

export interface NvidiaRender {
  hostname: string;
  selection: DeviceSelection | undefined;
  processes: ProcessFilter;
  /** Last XID per UUID, kept by the collector across runs (DCGM_FI_DEV_XID_ERRORS is the last XID seen, 0 before). */
  lastXid: Map<string, number>;
  /** XID events per UUID and XID, kept across runs (bounded by the caller). */
  xidCounts: Map<string, Map<number, number>>;
}

export function deviceLabels(d: NvmlDevice, hostname: string, driver: string): Record<string, string> {
  return {
    gpu: String(d.index),
    UUID: d.uuid,
    pci_bus_id: d.pciBusId,
    device: d.minor >= 0 ? `nvidia${d.minor}` : '',
    modelName: d.name,
    Hostname: hostname,
    DCGM_FI_DRIVER_VERSION: driver,
  };
}

/** Most distinct XIDs counted per device: the set of XIDs is small (a few dozen are defined). */
const MAX_XIDS_PER_DEVICE = 128;

export function nvidiaFamilies(snap: NvmlSnapshot, r: NvidiaRender): FamilySamples[] {
  const fams = nvmlFields.map((f) => family(f.name, f.help, f.type));
  const xidLast = family('DCGM_FI_DEV_XID_ERRORS', 'Value of the last XID error encountered.', 'gauge');
  const xidTotal = family('outrider_gpu_xid_errors_total', 'XID errors reported by the driver since the agent started, by XID.', 'counter');
  const procMem = family('outrider_gpu_process_memory_used_bytes', 'GPU memory used by a process (NVML running processes; type compute or graphics).', 'gauge');
  const unsupported = family('outrider_gpu_field_unsupported', "NVML fields this device does not answer (1), with NVML's return code (3: not supported, 13: not in this driver).", 'gauge');

  const byIndex = new Map<number, NvmlDevice>();
  for (const d of snap.devices) byIndex.set(d.index, d);
  for (const x of snap.xids) {
    const d = byIndex.get(x.index);
    if (!d) continue;
    r.lastXid.set(d.uuid, x.xid);
    let m = r.xidCounts.get(d.uuid);
    if (!m) r.xidCounts.set(d.uuid, (m = new Map()));
    if (m.has(x.xid) || m.size < MAX_XIDS_PER_DEVICE) m.set(x.xid, (m.get(x.xid) ?? 0) + 1);
  }

  for (const d of snap.devices) {
    if (d.handleStatus !== 0 || !isVisible(r.selection, d.index, d.uuid)) continue;
    const labels = deviceLabels(d, r.hostname, snap.driverVersion);
    nvmlFields.forEach((f, i) => {
      const v = d.values[f.field];
      if (v !== undefined) fams[i]!.samples.push({ labels, value: v * f.scale });
      const code = d.codes[f.field];
      if (code !== undefined) unsupported.samples.push({ labels: { gpu: labels.gpu!, UUID: d.uuid, field: f.name, code: String(code) }, value: 1 });
    });
    if (snap.xidStatus === 0) {
      xidLast.samples.push({ labels, value: r.lastXid.get(d.uuid) ?? 0 });
      for (const [xid, n] of r.xidCounts.get(d.uuid) ?? []) xidTotal.samples.push({ labels: { gpu: labels.gpu!, UUID: d.uuid, xid: String(xid) }, value: n });
    }
    for (const p of d.processes) {
      if (!r.processes.keep(p.pid)) continue;
      procMem.samples.push({
        labels: { gpu: labels.gpu!, UUID: d.uuid, pid: String(p.pid), comm: r.processes.comm(p.pid), type: p.graphics ? 'graphics' : 'compute' },
        value: p.usedBytes,
      });
    }
  }
  return [...fams, xidLast, xidTotal, procMem, unsupported].filter((f) => f.samples.length > 0);
}
