/**
 * rapl: /sys/class/powercap/intel-rapl:<N>[:<M>]/{name,energy_uj} → node_rapl_<zone>_joules_total{index,path}
 * (microjoules → J) as node_exporter's rapl collector. The zone's name file gives the metric (`package-0` →
 * package, index 0); a name without a number is indexed by how many zones of that name came before it. No
 * /sys/class/powercap: NoDataError.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { goUint, readTrim } from './sysfs-attrs';
import { listDir } from './text';

export interface RaplZone {
  name: string;
  index: number;
  path: string;
  microjoules: number;
}

/** `package-0` → { name: 'package', index: 0 }; `core` → { name: 'core', index: undefined }. */
export function splitZoneName(raw: string): { name: string; index: number | undefined } {
  const m = /^(.*)-(\d+)$/.exec(raw);
  return m ? { name: m[1]!, index: Number(m[2]) } : { name: raw, index: undefined };
}

export function readRaplZones(powercap: string, issues: string[]): RaplZone[] | undefined {
  const entries = listDir(powercap);
  if (!entries) return undefined;
  const seen = new Map<string, number>();
  const out: RaplZone[] = [];
  for (const e of entries.filter((x) => x.includes('rapl:')).sort()) {
    const dir = join(powercap, e);
    const rawName = readTrim(join(dir, 'name'));
    const uj = goUint(readTrim(join(dir, 'energy_uj')));
    if (rawName === undefined || uj === undefined || readTrim(join(dir, 'max_energy_range_uj')) === undefined) {
      issues.push(`rapl: ${dir} lacks a readable name, energy_uj or max_energy_range_uj`);
      continue;
    }
    const { name, index } = splitZoneName(rawName);
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    out.push({ name, index: index ?? n, path: dir, microjoules: uj });
  }
  return out;
}

export function raplFamilies(zones: RaplZone[]): FamilySamples[] {
  const fams = new Map<string, FamilySamples>();
  for (const z of zones) {
    const metric = `node_rapl_${z.name.replace(/[^a-zA-Z0-9_]/g, '_')}_joules_total`;
    let f = fams.get(metric);
    if (!f) fams.set(metric, (f = family(metric, `Current RAPL ${z.name} value in joules`, 'counter')));
    f.samples.push({ labels: { index: String(z.index), path: z.path }, value: z.microjoules / 1e6 });
  }
  return [...fams.values()];
}

export function raplCollector(): Collector {
  return {
    name: 'rapl',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const powercap = join(ctx.paths.sysfs, 'class/powercap');
      const zones = readRaplZones(powercap, ctx.issues);
      if (!zones) throw new NoDataError(`${powercap} does not exist`);
      return raplFamilies(zones);
    },
  };
}
