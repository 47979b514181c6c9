/**
 * Which NVIDIA GPUs and processes a run reports. On a host: every GPU and process. In a pod (the sidecar), the
 * NVIDIA container runtime and device plugin name the pod's GPUs in NVIDIA_VISIBLE_DEVICES (indices or UUIDs,
 * `all`, `none`/`void`), and only processes of the pod are kept: NVML reports every process on the GPU, so a
 * process is kept when /proc/<pid> exists in the agent's PID namespace and, when the pod UID is known
 * (OUTRIDER_POD_UID), its cgroup path names the pod.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

/** A filter over devices: undefined selects every device. */
export interface DeviceSelection {
  indices: Set<number>;
  uuids: Set<string>;
}

/** `all`/empty → undefined (every device); `none`/`void` → nothing; else indices and UUIDs. */
export function parseVisibleDevices(spec: string | undefined): DeviceSelection | undefined {
  const s = (spec ?? '').trim();
  if (s === '' || s === 'all') return undefined;
  const sel: DeviceSelection = { indices: new Set(), uuids: new Set() };
  if (s === 'none' || s === 'void') return sel;
  for (const part of s.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    if (/^\d+$/.test(p)) sel.indices.add(Number(p));
    else sel.uuids.add(p.toUpperCase());
  }
  return sel;
}

export function isVisible(sel: DeviceSelection | undefined, index: number, uuid: string): boolean {
  if (!sel) return true;
  return sel.indices.has(index) || (uuid !== '' && sel.uuids.has(uuid.toUpperCase()));
}

/** The pod UID as cgroup paths spell it: kubepods…/pod<uid> (cgroupfs) or …-pod<uid_with_underscores>.slice (systemd). */
export function podCgroupMarkers(podUid: string): string[] {
  return [`pod${podUid}`, `pod${podUid.replace(/-/g, '_')}`];
}

export interface ProcessFilter {
  keep(pid: number): boolean;
  /** The process's command name, when readable. */
  comm(pid: number): string;
}

/**
 * Processes to report: every process when `podUid` is undefined (a host agent); in a pod, those visible under
 * `procfs` whose cgroup names the pod. Lookups are cached for the filter's life (one run).
 */
export function processFilter(procfs: string, podUid: string | undefined): ProcessFilter {
  const markers = podUid ? podCgroupMarkers(podUid) : undefined;
  const kept = new Map<number, boolean>();
  const read = (pid: number, file: string): string | undefined => {
    try {
      return readFileSync(join(procfs, String(pid), file), 'utf8');
    } catch {
      return undefined;
    }
  };
  return {
    keep(pid) {
      if (!markers) return true;
      let k = kept.get(pid);
      if (k === undefined) {
        const cg = read(pid, 'cgroup');
        k = cg !== undefined && markers.some((m) => cg.includes(m));
        kept.set(pid, k);
      }
      return k;
    },
    comm: (pid) => (read(pid, 'comm') ?? '').trim(),
  };
}
