/**
 * CPU / NUMA topology from sysfs, TS twin of native/src/pool/topology.cc:
 * `<root>/devices/system/node/node<N>/cpulist` per node, intersected with
 * `<root>/devices/system/cpu/online`; one node of all online CPUs (or of
 * os.availableParallelism()) when sysfs describes none.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CpuNode {
  id: number;
  cpus: number[];
}

export interface Topology {
  nodes: CpuNode[];
  /** `sysfs`, `sysfs-online` or `fallback`. */
  source: string;
}

/** Parses a kernel CPU list ("0-3,8-11"); null when malformed. */
export function parseCpuList(text: string): number[] | null {
  const t = text.replace(/\s+/g, '');
  if (t === '') return [];
  const out = new Set<number>();
  for (const part of t.split(',')) {
    const m = /^(\d{1,7})(?:-(\d{1,7}))?$/.exec(part);
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65536) return null;
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

function read(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

export function readTopologyTs(sysfsRoot = '/sys'): Topology {
  const onlineText = read(path.join(sysfsRoot, 'devices/system/cpu/online'));
  const online = onlineText === null ? null : parseCpuList(onlineText);
  const haveOnline = online !== null && online.length > 0;
  const onlineSet = new Set(online ?? []);
  const nodes: CpuNode[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(path.join(sysfsRoot, 'devices/system/node'));
  } catch {
    entries = [];
  }
  for (const name of entries) {
    const m = /^node(\d{1,7})$/.exec(name);
    if (!m) continue;
    const text = read(path.join(sysfsRoot, 'devices/system/node', name, 'cpulist'));
    if (text === null) continue;
    let cpus = parseCpuList(text);
    if (cpus === null) continue;
    if (haveOnline) cpus = cpus.filter((c) => onlineSet.has(c));
    if (cpus.length) nodes.push({ id: Number(m[1]), cpus });
  }
  if (nodes.length) return { nodes: nodes.sort((a, b) => a.id - b.id), source: 'sysfs' };
  if (haveOnline) return { nodes: [{ id: 0, cpus: online! }], source: 'sysfs-online' };
  const n = Math.max(1, os.availableParallelism());
  return { nodes: [{ id: 0, cpus: Array.from({ length: n }, (_, i) => i) }], source: 'fallback' };
}
