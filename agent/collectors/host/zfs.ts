/**
 * zfs: the OpenZFS kstats under /proc/spl/kstat/zfs → node_zfs_<group>_<name> (untyped, help `kstat.zfs.misc.<file>.
 * <name>`) for arcstats, zil, abdstats and the other global files, and per pool node_zfs_zpool_<io column>{zpool},
 * node_zfs_zpool_dataset_<name>{zpool,dataset} (objset-*) and node_zfs_zpool_state{zpool,state}, as node_exporter's
 * zfs collector. A kstat file is `<header>\nname type data\n<name> <type> <value>…`; values that are not unsigned
 * integers are left out. No /proc/spl/kstat/zfs (the module is not loaded): NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { isDir } from './sysfs-attrs';
import { fields, lines, listDir, quote, readText } from './text';

/** kstat file → metric group. */
const globals: Array<[string, string]> = [
  ['abdstats', 'abd'],
  ['arcstats', 'arc'],
  ['dbufstats', 'dbuf'],
  ['dmu_tx', 'dmu_tx'],
  ['dnodestats', 'dnode'],
  ['fm', 'fm'],
  ['vdev_cache_stats', 'vdev_cache'],
  ['vdev_mirror_stats', 'vdev_mirror'],
  ['xuio_stats', 'xuio'],
  ['zfetchstats', 'zfetch'],
  ['zil', 'zil'],
];
const poolStates = ['degraded', 'faulted', 'offline', 'online', 'removed', 'suspended', 'unavail'];

const sanitize = (s: string) => s.replace(/[^a-zA-Z0-9_]/g, '_');

/** Name → raw data of a named kstat (`name type data` table); the header lines are skipped. */
export function parseKstat(text: string, issues: Issues = [], file = ''): Map<string, string> {
  const out = new Map<string, string>();
  const ls = lines(text);
  const start = ls.findIndex((l) => /^name\s+type\s+data$/.test(l.trim()));
  if (start < 0) {
    issues.push(`zfs: ${file} has no "name type data" header`);
    return out;
  }
  for (const l of ls.slice(start + 1)) {
    const f = fields(l);
    if (f.length < 3) {
      issues.push(`zfs: ${file}: skipped line ${quote(l)}`);
      continue;
    }
    out.set(f[0]!, f.slice(2).join(' '));
  }
  return out;
}

/** A pool's io kstat: a line of column names and a line of values. */
export function parseKstatIo(text: string, issues: Issues = [], file = ''): Map<string, number> {
  const ls = lines(text);
  const names = fields(ls[1] ?? '');
  const values = fields(ls[2] ?? '');
  const out = new Map<string, number>();
  if (names.length === 0 || names.length !== values.length) {
    issues.push(`zfs: ${file}: ${names.length} columns but ${values.length} values`);
    return out;
  }
  names.forEach((n, i) => {
    if (/^\d+$/.test(values[i]!)) out.set(n, Number(values[i]));
  });
  return out;
}

class Families {
  readonly map = new Map<string, FamilySamples>();
  add(name: string, help: string, type: FamilySamples['type'], labels: Record<string, string>, value: number): void {
    let f = this.map.get(name);
    if (!f) this.map.set(name, (f = family(name, help, type)));
    f.samples.push({ labels, value });
  }
}

export async function collectZfs(root: string, issues: Issues): Promise<FamilySamples[]> {
  const fams = new Families();
  for (const [file, group] of globals) {
    const text = await readText(join(root, file));
    if (text === undefined) continue;
    for (const [name, raw] of parseKstat(text, issues, file)) {
      if (!/^\d+$/.test(raw)) continue;
      fams.add(`node_zfs_${group}_${sanitize(name)}`, `kstat.zfs.misc.${file}.${name}`, 'untyped', {}, Number(raw));
    }
  }
  for (const zpool of (listDir(root) ?? []).sort()) {
    const dir = join(root, zpool);
    if (!isDir(dir)) continue;
    const io = await readText(join(dir, 'io'));
    if (io !== undefined) {
      for (const [name, v] of parseKstatIo(io, issues, `${zpool}/io`)) fams.add(`node_zfs_zpool_${sanitize(name)}`, `kstat.zfs.misc.io.${name}`, 'untyped', { zpool }, v);
    }
    for (const objset of (listDir(dir) ?? []).filter((e) => e.startsWith('objset-')).sort()) {
      const text = await readText(join(dir, objset));
      if (text === undefined) continue;
      const kv = parseKstat(text, issues, `${zpool}/${objset}`);
      const dataset = kv.get('dataset_name');
      if (dataset === undefined) continue;
      for (const [name, raw] of kv) {
        if (name === 'dataset_name' || !/^\d+$/.test(raw)) continue;
        fams.add(`node_zfs_zpool_dataset_${sanitize(name)}`, `kstat.zfs.misc.objset.${name}`, 'untyped', { dataset, zpool }, Number(raw));
      }
    }
    const state = (await readText(join(dir, 'state')))?.trim().toLowerCase();
    if (state !== undefined) {
      for (const s of poolStates) fams.add('node_zfs_zpool_state', 'kstat.zfs.misc.state', 'gauge', { state: s, zpool }, s === state ? 1 : 0);
    }
  }
  return [...fams.map.values()];
}

export function zfsCollector(): Collector {
  return {
    name: 'zfs',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const root = join(ctx.paths.procfs, 'spl/kstat/zfs');
      if (!listDir(root)) throw new NoDataError(`${root} does not exist`);
      return collectZfs(root, ctx.issues);
    },
  };
}
