/**
 * cpu: per-CPU lines of /proc/stat → node_cpu_seconds_total{cpu,mode} and node_cpu_guest_seconds_total{cpu,mode}.
 * The kernel counts in USER_HZ ticks, which is 100 on every Linux ABI the agent runs on (it is fixed for userspace,
 * unlike CONFIG_HZ), so seconds = ticks / 100. Offline CPUs have no line, so labels may have gaps (cpu0, cpu2).
 * From sysfs, as node_exporter: node_cpu_isolated{cpu} (1 per CPU listed in /sys/devices/system/cpu/isolated),
 * node_cpu_core_throttles_total{core,package} and node_cpu_package_throttles_total{package} from each CPU's
 * thermal_throttle/ and topology/ (one series per core and per package, however many threads share it), and
 * node_cpu_online{cpu} from each CPU's `online` file (1 when it reads "1", else 0, a CPU without the file included),
 * reported only where the lowest-numbered CPU has the file: x86 kernels give cpu0 none, and there node_exporter
 * (1.9+) reports no family at all.
 */
import { keptFiles } from '../kept-files';
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, listDir, num, quote, readTextRequired } from './text';

export const USER_HZ = 100;
export const cpuModes = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

export interface CpuTimes {
  cpu: string;
  /** Seconds per mode, in `cpuModes` order (modes an old kernel does not report are absent). */
  seconds: Partial<Record<(typeof cpuModes)[number], number>>;
  guest?: number;
  guestNice?: number;
}

export function parseCpuStat(text: string, issues: Issues = []): CpuTimes[] {
  const out: CpuTimes[] = [];
  for (const line of lines(text)) {
    const m = /^cpu(\d+)\s/.exec(line);
    if (!m) continue;
    const f = fields(line).slice(1);
    const vals = f.map(num);
    if (vals.length < 4 || vals.slice(0, 4).some((v) => v === undefined)) {
      issues.push(`cpu line ${quote(line)} has fewer than 4 numeric fields`);
      continue;
    }
    const t: CpuTimes = { cpu: m[1]!, seconds: {} };
    cpuModes.forEach((mode, i) => {
      const v = vals[i];
      if (v !== undefined) t.seconds[mode] = v / USER_HZ;
    });
    if (vals[8] !== undefined) t.guest = vals[8] / USER_HZ;
    if (vals[9] !== undefined) t.guestNice = vals[9] / USER_HZ;
    out.push(t);
  }
  return out;
}

export function cpuCollector(): Collector {
  return {
    name: 'cpu',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const cpus = parseCpuStat(await readTextRequired(join(ctx.paths.procfs, 'stat')), ctx.issues);
      if (cpus.length === 0) throw new Error('no per-CPU lines in /proc/stat');
      const secs = family('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter');
      const guest = family('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', 'counter');
      for (const c of cpus) {
        for (const mode of cpuModes) {
          const v = c.seconds[mode];
          if (v !== undefined) secs.samples.push({ labels: { cpu: c.cpu, mode }, value: v });
        }
        if (c.guest !== undefined) guest.samples.push({ labels: { cpu: c.cpu, mode: 'user' }, value: c.guest });
        if (c.guestNice !== undefined) guest.samples.push({ labels: { cpu: c.cpu, mode: 'nice' }, value: c.guestNice });
      }
      return [secs, guest, ...sysfsFamilies(join(ctx.paths.sysfs, 'devices/system/cpu'), ctx.issues)];
    },
  };
}

/** A kernel CPU list ("0-2,5") → CPU numbers; undefined when garbled. Empty text is an empty list. */
export function parseCpuList(text: string): number[] | undefined {
  const out: number[] = [];
  const t = text.trim();
  if (t === '') return out;
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65_536) return undefined;
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}

function sysfsFamilies(base: string, issues: Issues): FamilySamples[] {
  const out: FamilySamples[] = [];
  const iso = readFixedSync(join(base, 'isolated'));
  if (iso !== undefined) {
    const list = parseCpuList(iso);
    if (list === undefined) issues.push(`isolated: not a CPU list: ${quote(iso)}`);
    else if (list.length > 0)
      out.push(
        family(
          'node_cpu_isolated',
          'Whether each core is isolated, information from /sys/devices/system/cpu/isolated.',
          'gauge',
          list.map((c) => ({ labels: { cpu: String(c) }, value: 1 })),
        ),
      );
  }
  const cpus = (listDir(base) ?? []).filter((e) => /^cpu\d+$/.test(e)).sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
  const core = family('node_cpu_core_throttles_total', 'Number of times this CPU core has been throttled.', 'counter');
  const pkg = family('node_cpu_package_throttles_total', 'Number of times this CPU package has been throttled.', 'counter');
  const seenCore = new Set<string>();
  const seenPkg = new Set<string>();
  for (const c of cpus) {
    const dir = join(base, c);
    const p = readFixedSync(join(dir, 'topology/physical_package_id'))?.trim();
    const id = readFixedSync(join(dir, 'topology/core_id'))?.trim();
    if (p === undefined || id === undefined) continue;
    const coreCount = num(readTextSync(join(dir, 'thermal_throttle/core_throttle_count'))?.trim());
    if (coreCount !== undefined && !seenCore.has(`${p}/${id}`)) {
      seenCore.add(`${p}/${id}`);
      core.samples.push({ labels: { core: id, package: p }, value: coreCount });
    }
    const pkgCount = num(readTextSync(join(dir, 'thermal_throttle/package_throttle_count'))?.trim());
    if (pkgCount !== undefined && !seenPkg.has(p)) {
      seenPkg.add(p);
      pkg.samples.push({ labels: { package: p }, value: pkgCount });
    }
  }
  for (const f of [core, pkg]) if (f.samples.length > 0) out.push(f);
  const online = onlineFamily(base, cpus);
  if (online) out.push(online);
  return out;
}

/** node_cpu_online over `cpus` (sorted by number); undefined when the first CPU has no `online` file. */
function onlineFamily(base: string, cpus: string[]): FamilySamples | undefined {
  if (cpus.length === 0 || !hasFile(join(base, cpus[0]!, 'online'))) return undefined;
  return family(
    'node_cpu_online',
    'CPUs that are online and being scheduled.',
    'gauge',
    cpus.map((c) => ({ labels: { cpu: c.slice(3) }, value: readTextSync(join(base, c, 'online'))?.trim() === '1' ? 1 : 0 })),
  );
}

/** Whether a sysfs attribute exists; a file that exists but cannot be read (EACCES, EIO) counts as existing. */
function hasFile(path: string): boolean {
  try {
    return keptFiles.read(path) !== undefined;
  } catch {
    return true;
  }
}

/** A sysfs attribute; undefined when missing or unreadable (an attribute the kernel refuses to read). */
function readTextSync(path: string): string | undefined {
  try {
    return keptFiles.read(path);
  } catch {
    return undefined;
  }
}

/**
 * `readTextSync` for what the kernel fixes while the CPU exists (its package and core ids, the boot's isolated list):
 * read again only as kept files age out. A CPU taken offline loses its throttle counters, read every time, so a
 * remembered id of an offline CPU reports nothing.
 */
function readFixedSync(path: string): string | undefined {
  try {
    return keptFiles.readFixed(path);
  } catch {
    return undefined;
  }
}
