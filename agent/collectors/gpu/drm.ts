/**
 * AMD and Intel GPUs from sysfs (<sysfs>/class/drm/card<N>/): node_exporter's drm collector names where it has them
 * (node_drm_card_info, node_drm_gpu_busy_percent, node_drm_memory_*_bytes: amdgpu's device/ files), and
 * outrider_drm_* for what it does not read: hwmon power, energy and temperatures under device/hwmon/hwmon*, AMD's
 * hwmon clocks, Intel's gt_*_freq_mhz and power/rc6_residency_ms. Connector entries (card0-DP-1) and render nodes
 * are skipped, and so are NVIDIA cards (NVML reports them).
 *
 * A card in runtime suspend (device/power/runtime_status `suspended`) is reported by outrider_drm_card_suspended
 * alone: reading amdgpu's counters wakes the GPU, and a scrape must not keep an idle GPU powered.
 */
import { basename, join } from 'node:path';
import type { FamilySamples } from '../../store/types';
import { family } from '../collector';
import { cardNames, vendorOf } from './drm-detect';
import { linkTarget, listDir, num, readText } from './sysfs';

export interface DrmCard {
  card: string;
  driver: string;
  vendor: string;
  suspended: boolean;
  /** file name → value, for the single-value files read. */
  values: Map<string, number>;
  info: { memoryVendor: string; powerPerformanceLevel: string; uniqueId: string };
  hwmon: { key: string; value: number; label: string }[];
}

const amdFiles = ['gpu_busy_percent', 'mem_info_gtt_total', 'mem_info_gtt_used', 'mem_info_vis_vram_total', 'mem_info_vis_vram_used', 'mem_info_vram_total', 'mem_info_vram_used'];
const intelFreq = ['act', 'cur', 'min', 'max', 'boost'];

async function str(path: string): Promise<string> {
  return (readText(path) ?? '').trim();
}

async function value(path: string): Promise<number | undefined> {
  return num(await str(path));
}

/** The DRM cards under sysfs, read. Undefined when there is no class/drm (no GPU driver loaded). */
export async function readDrmCards(sysfs: string): Promise<DrmCard[] | undefined> {
  const dir = join(sysfs, 'class/drm');
  const entries = listDir(dir);
  if (!entries) return undefined;
  const cards: DrmCard[] = [];
  for (const card of cardNames(entries)) {
    const base = join(dir, card);
    const dev = join(base, 'device');
    const link = linkTarget(join(dev, 'driver'));
    const driver = link ? basename(link) : '';
    const vendor = vendorOf[driver];
    if (!vendor) continue;
    const c: DrmCard = {
      card,
      driver,
      vendor,
      suspended: (await str(join(dev, 'power/runtime_status'))) === 'suspended',
      values: new Map(),
      info: { memoryVendor: '', powerPerformanceLevel: '', uniqueId: '' },
      hwmon: [],
    };
    cards.push(c);
    if (c.suspended) continue;
    if (driver === 'amdgpu') {
      for (const f of amdFiles) {
        const v = await value(join(dev, f));
        if (v !== undefined) c.values.set(f, v);
      }
      c.info.memoryVendor = await str(join(dev, 'mem_info_vram_vendor'));
      c.info.powerPerformanceLevel = await str(join(dev, 'power_dpm_force_performance_level'));
      c.info.uniqueId = await str(join(dev, 'unique_id'));
    } else {
      for (const k of intelFreq) {
        const v = await value(join(base, `gt_${k}_freq_mhz`));
        if (v !== undefined) c.values.set(`gt_${k}_freq_mhz`, v);
      }
      const rc6 = await value(join(base, 'power/rc6_residency_ms'));
      if (rc6 !== undefined) c.values.set('rc6_residency_ms', rc6);
    }
    for (const hw of (listDir(join(dev, 'hwmon')) ?? []).filter((e) => /^hwmon\d+$/.test(e)).sort()) {
      const hdir = join(dev, 'hwmon', hw);
      for (const f of (listDir(hdir) ?? []).sort()) {
        const m = /^(power\d+_(average|input)|energy\d+_input|temp\d+_input|freq\d+_input)$/.exec(f);
        if (!m) continue;
        const v = await value(join(hdir, f));
        if (v === undefined) continue;
        const label = await str(join(hdir, f.replace(/_(average|input)$/, '_label')));
        c.hwmon.push({ key: f, value: v, label });
      }
    }
  }
  return cards;
}

export function drmFamilies(cards: DrmCard[]): FamilySamples[] {
  const info = family('node_drm_card_info', 'Card information', 'gauge');
  const busy = family('node_drm_gpu_busy_percent', 'How busy the GPU is as a percentage.', 'gauge');
  const mem = (n: string, help: string): FamilySamples => family(`node_drm_memory_${n}`, help, 'gauge');
  const memFams: Record<string, FamilySamples> = {
    mem_info_gtt_total: mem('gtt_size_bytes', 'The size of the graphics translation table (GTT) block in bytes.'),
    mem_info_gtt_used: mem('gtt_used_bytes', 'The used amount of the graphics translation table (GTT) block in bytes.'),
    mem_info_vis_vram_total: mem('vis_vram_size_bytes', 'The size of visible VRAM in bytes.'),
    mem_info_vis_vram_used: mem('vis_vram_used_bytes', 'The used amount of visible VRAM in bytes.'),
    mem_info_vram_total: mem('vram_size_bytes', 'The size of VRAM in bytes.'),
    mem_info_vram_used: mem('vram_used_bytes', 'The used amount of VRAM in bytes.'),
  };
  const suspended = family('outrider_drm_card_suspended', 'Whether the card is in runtime suspend (1: its counters are not read, so as not to wake it).', 'gauge');
  const power = family('outrider_drm_power_watts', 'GPU power draw from hwmon power*_average or power*_input.', 'gauge');
  const energy = family('outrider_drm_energy_joules_total', 'GPU energy from hwmon energy*_input.', 'counter');
  const temp = family('outrider_drm_temperature_celsius', 'GPU temperature from hwmon temp*_input, by sensor (its temp*_label, else the file name).', 'gauge');
  const freq = family('outrider_drm_frequency_hertz', 'GPU clock frequency: Intel gt_<kind>_freq_mhz (kind act, cur, min, max, boost); AMD hwmon freq*_input (kind sclk, mclk).', 'gauge');
  const rc6 = family('outrider_drm_rc6_residency_seconds_total', 'Time the Intel GPU spent in the RC6 power-saving state (power/rc6_residency_ms).', 'counter');

  for (const c of cards) {
    const card = { card: c.card };
    info.samples.push({
      labels: { card: c.card, memory_vendor: c.info.memoryVendor, power_performance_level: c.info.powerPerformanceLevel, unique_id: c.info.uniqueId, vendor: c.vendor },
      value: 1,
    });
    suspended.samples.push({ labels: card, value: c.suspended ? 1 : 0 });
    const b = c.values.get('gpu_busy_percent');
    if (b !== undefined) busy.samples.push({ labels: card, value: b });
    for (const [file, fam] of Object.entries(memFams)) {
      const v = c.values.get(file);
      if (v !== undefined) fam.samples.push({ labels: card, value: v });
    }
    for (const k of intelFreq) {
      const v = c.values.get(`gt_${k}_freq_mhz`);
      if (v !== undefined) freq.samples.push({ labels: { card: c.card, kind: k }, value: v * 1e6 });
    }
    const r = c.values.get('rc6_residency_ms');
    if (r !== undefined) rc6.samples.push({ labels: card, value: r / 1000 });
    const seenPower = new Set<string>();
    for (const h of c.hwmon) {
      const sensor = h.key.replace(/_(average|input)$/, '');
      if (h.key.startsWith('power')) {
        // power1_average and power1_input may both exist: the average is what amdgpu and node_exporter's hwmon report.
        if (seenPower.has(sensor)) continue;
        seenPower.add(sensor);
        power.samples.push({ labels: { card: c.card, sensor: h.label || sensor }, value: h.value / 1e6 });
      } else if (h.key.startsWith('energy')) {
        energy.samples.push({ labels: { card: c.card, sensor: h.label || sensor }, value: h.value / 1e6 });
      } else if (h.key.startsWith('temp')) {
        temp.samples.push({ labels: { card: c.card, sensor: h.label || sensor }, value: h.value / 1000 });
      } else if (h.key.startsWith('freq')) {
        freq.samples.push({ labels: { card: c.card, kind: h.label || sensor }, value: h.value });
      }
    }
  }
  return [info, busy, ...Object.values(memFams), suspended, power, energy, temp, freq, rc6].filter((f) => f.samples.length > 0);
}
