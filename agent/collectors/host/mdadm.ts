/**
 * mdadm: /proc/mdstat → node_md_{state{state},disks{state},disks_required,blocks,blocks_synced}{device} as
 * node_exporter's mdadm collector. A device line (`md0 : active raid5 sdd1[3] sdc1[1] sdb2[0](F)`) gives the state and
 * the failed (F) and spare (S) members; the next line the size in blocks and `[total/active]`; a progress line
 * (`recovery = 8.5% (41568128/488255488)`) the blocks synced and whether it recovers, resyncs or checks. No
 * /proc/mdstat (the md driver is not loaded): NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues } from '../collector';
import type { FamilySamples } from '../../store/types';
import { quote, readTextRequired } from './text';

export interface MdDevice {
  name: string;
  /** active, inactive, recovering, resync or check. */
  state: string;
  disksActive: number;
  disksTotal: number;
  disksFailed: number;
  disksSpare: number;
  blocksTotal: number;
  blocksSynced: number;
}

const states = ['active', 'inactive', 'recovering', 'resync', 'check'] as const;

export function parseMdstat(text: string, issues: Issues = []): MdDevice[] {
  const out: MdDevice[] = [];
  const ls = text.split('\n');
  for (let i = 0; i < ls.length; i++) {
    const m = /^(md\S*)\s*:\s*(\S+)(.*)$/.exec(ls[i]!);
    if (!m) continue;
    const [, name, rawState, rest] = m;
    const status = ls[i + 1] ?? '';
    const blocks = /^\s*(\d+) blocks/.exec(status);
    if (!blocks) {
      issues.push(`mdadm: ${name}: no size line after ${quote(ls[i]!)}`);
      continue;
    }
    const counts = /\[(\d+)\/(\d+)\]/.exec(status);
    const dev: MdDevice = {
      name: name!,
      state: rawState === 'inactive' ? 'inactive' : 'active',
      disksActive: counts ? Number(counts[2]) : 0,
      disksTotal: counts ? Number(counts[1]) : 0,
      disksFailed: (rest!.match(/\(F\)/g) ?? []).length,
      disksSpare: (rest!.match(/\(S\)/g) ?? []).length,
      blocksTotal: Number(blocks[1]),
      blocksSynced: Number(blocks[1]),
    };
    // The progress line, if any, follows the size line (a bitmap line may sit between them).
    for (let j = i + 2; j < ls.length && ls[j]!.trim() !== '' && !/^md\S*\s*:/.test(ls[j]!); j++) {
      const p = /\b(recovery|resync|check|reshape)\s*=\s*(.*)$/.exec(ls[j]!);
      if (!p) continue;
      dev.state = p[1] === 'recovery' ? 'recovering' : p[1] === 'check' ? 'check' : 'resync';
      const synced = /\((\d+)\/\d+\)/.exec(p[2]!);
      dev.blocksSynced = synced ? Number(synced[1]) : 0;
      break;
    }
    out.push(dev);
  }
  return out;
}

export function mdadmFamilies(devices: MdDevice[]): FamilySamples[] {
  const state = family('node_md_state', 'Indicates the state of md-device.', 'gauge');
  const disks = family('node_md_disks', 'Number of active/failed/spare disks of device.', 'gauge');
  const required = family('node_md_disks_required', 'Total number of disks of device.', 'gauge');
  const blocks = family('node_md_blocks', 'Total number of blocks on device.', 'gauge');
  const synced = family('node_md_blocks_synced', 'Number of blocks synced on device.', 'gauge');
  for (const d of devices) {
    const device = d.name;
    for (const s of states) state.samples.push({ labels: { device, state: s }, value: d.state === s ? 1 : 0 });
    disks.samples.push({ labels: { device, state: 'active' }, value: d.disksActive });
    disks.samples.push({ labels: { device, state: 'failed' }, value: d.disksFailed });
    disks.samples.push({ labels: { device, state: 'spare' }, value: d.disksSpare });
    required.samples.push({ labels: { device }, value: d.disksTotal });
    blocks.samples.push({ labels: { device }, value: d.blocksTotal });
    synced.samples.push({ labels: { device }, value: d.blocksSynced });
  }
  return [state, disks, required, blocks, synced];
}

export function mdadmCollector(): Collector {
  return {
    name: 'mdadm',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      return mdadmFamilies(parseMdstat(await readTextRequired(join(ctx.paths.procfs, 'mdstat')), ctx.issues));
    },
  };
}
