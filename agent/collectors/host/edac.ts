/**
 * edac: /sys/devices/system/edac/mc/mc<N>/{ce,ue}_count and csrow<M>/{ce,ue}_count → node_edac_{correctable,
 * uncorrectable}_errors_total{controller} and node_edac_csrow_{correctable,uncorrectable}_errors_total{controller,csrow},
 * with the errors the controller could not place (`{ce,ue}_noinfo_count`) under csrow="unknown" (node_exporter's edac
 * collector). No edac/mc directory (no EDAC driver): nothing, and a successful run (node_exporter globs mc[0-9]* and
 * reports success 1).
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { goUint, readTrim } from './sysfs-attrs';
import { listDir } from './text';

const byNum = (prefix: string) => (a: string, b: string) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length));

export function edacFamilies(mcRoot: string, issues: string[]): FamilySamples[] {
  const ce = family('node_edac_correctable_errors_total', 'Total correctable memory errors.', 'counter');
  const ue = family('node_edac_uncorrectable_errors_total', 'Total uncorrectable memory errors.', 'counter');
  const rowCe = family('node_edac_csrow_correctable_errors_total', 'Total correctable memory errors for this csrow.', 'counter');
  const rowUe = family('node_edac_csrow_uncorrectable_errors_total', 'Total uncorrectable memory errors for this csrow.', 'counter');
  for (const mc of (listDir(mcRoot) ?? []).filter((e) => /^mc\d+$/.test(e)).sort(byNum('mc'))) {
    const dir = join(mcRoot, mc);
    const controller = mc.slice(2);
    const c = goUint(readTrim(join(dir, 'ce_count')));
    const u = goUint(readTrim(join(dir, 'ue_count')));
    if (c === undefined || u === undefined) {
      issues.push(`edac: ${dir} has no readable ce_count/ue_count`);
      continue;
    }
    ce.samples.push({ labels: { controller }, value: c });
    ue.samples.push({ labels: { controller }, value: u });
    const cn = goUint(readTrim(join(dir, 'ce_noinfo_count')));
    const un = goUint(readTrim(join(dir, 'ue_noinfo_count')));
    if (cn !== undefined) rowCe.samples.push({ labels: { controller, csrow: 'unknown' }, value: cn });
    if (un !== undefined) rowUe.samples.push({ labels: { controller, csrow: 'unknown' }, value: un });
    for (const row of (listDir(dir) ?? []).filter((e) => /^csrow\d+$/.test(e)).sort(byNum('csrow'))) {
      const csrow = row.slice(5);
      const rc = goUint(readTrim(join(dir, row, 'ce_count')));
      const ru = goUint(readTrim(join(dir, row, 'ue_count')));
      if (rc !== undefined) rowCe.samples.push({ labels: { controller, csrow }, value: rc });
      if (ru !== undefined) rowUe.samples.push({ labels: { controller, csrow }, value: ru });
    }
  }
  return [ce, ue, rowCe, rowUe];
}

export function edacCollector(): Collector {
  return {
    name: 'edac',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const root = join(ctx.paths.sysfs, 'devices/system/edac/mc');
      if (!listDir(root)) return [];
      return edacFamilies(root, ctx.issues);
    },
  };
}
