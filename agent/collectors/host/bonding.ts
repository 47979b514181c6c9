/**
 * bonding: /sys/class/net/bonding_masters, each master's bonding/slaves and each slave's bonding_slave/mii_status
 * (under lower_<slave>, or slave_<slave> on older kernels) → node_bonding_slaves{master} and node_bonding_active{master}
 * (slaves whose MII status is up), as node_exporter's bonding collector. No bonding_masters: NoDataError.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readTrim } from './sysfs-attrs';
import { fields } from './text';

export interface BondStatus {
  master: string;
  slaves: number;
  active: number;
}

/** Reads the masters' slaves and their MII status under `classNet`; a master whose slave list is unreadable is noted. */
export function readBonds(classNet: string, issues: string[]): BondStatus[] | undefined {
  const masters = readTrim(join(classNet, 'bonding_masters'));
  if (masters === undefined) return undefined;
  const out: BondStatus[] = [];
  for (const master of fields(masters)) {
    const slaves = readTrim(join(classNet, master, 'bonding/slaves'));
    if (slaves === undefined) {
      issues.push(`bonding: cannot read the slaves of ${master}`);
      continue;
    }
    let active = 0;
    const list = fields(slaves);
    for (const slave of list) {
      const mii = readTrim(join(classNet, master, `lower_${slave}`, 'bonding_slave/mii_status')) ?? readTrim(join(classNet, master, `slave_${slave}`, 'bonding_slave/mii_status'));
      if (mii === 'up') active++;
    }
    out.push({ master, slaves: list.length, active });
  }
  return out;
}

export function bondingFamilies(bonds: BondStatus[]): FamilySamples[] {
  const slaves = family('node_bonding_slaves', 'Number of configured slaves per bonding interface.', 'gauge');
  const active = family('node_bonding_active', 'Number of active slaves per bonding interface.', 'gauge');
  for (const b of bonds) {
    slaves.samples.push({ labels: { master: b.master }, value: b.slaves });
    active.samples.push({ labels: { master: b.master }, value: b.active });
  }
  return [slaves, active];
}

export function bondingCollector(): Collector {
  return {
    name: 'bonding',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const classNet = join(ctx.paths.sysfs, 'class/net');
      const bonds = readBonds(classNet, ctx.issues);
      if (!bonds) throw new NoDataError(`${classNet}/bonding_masters does not exist`);
      return bondingFamilies(bonds);
    },
  };
}
