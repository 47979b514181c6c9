/**
 * cgroup: the agent's own cgroup v2 (from the `0::/path` line of /proc/self/cgroup, or `collectors.cgroup.path`),
 * read under <sysfs>/fs/cgroup<path> (or <sysfs>/fs/cgroup/unified<path> on a hybrid v1/v2 host), exposed with
 * cAdvisor's container_* names and an `id` label holding the cgroup path, as cAdvisor does.
 *
 * Files: cpu.stat, cpu.max, memory.current, memory.max, memory.stat, memory.swap.current, memory.swap.max,
 * memory.events, io.stat, pids.current, pids.max, {cpu,memory,io}.pressure. A file the cgroup lacks (the root
 * cgroup has no memory.current; a controller may be disabled) just leaves its metrics out. A limit of `max` leaves
 * container_spec_memory_limit_bytes / _swap_limit_bytes / container_spec_cpu_quota out (no limit, where cAdvisor
 * would print a huge number), and writes container_threads_max 0, cAdvisor's "no limit". The mapping is in
 * docs/collectors.md.
 */
import { basename, join } from 'node:path';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples, MetricType } from '../../store/types';
import { parsePressure, readPsi } from './pressure';
import { hostOptions } from './options';
import { fields, Issues, lines, linkTarget, num, quote, readText } from './text';

/** The cgroup v2 path of /proc/<pid>/cgroup (`0::/path`); undefined on a v1-only host. */
export function parseProcCgroup(text: string): string | undefined {
  for (const line of lines(text)) if (line.startsWith('0::')) return line.slice(3) || '/';
  return undefined;
}

/** "key value" lines (cpu.stat, memory.stat, memory.events) → map. */
export function parseFlatKeyed(text: string, issues: Issues = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    const f = fields(line);
    const v = num(f[1]);
    if (f.length !== 2 || v === undefined) {
      issues.push(`line ${quote(line)} is not "key value"`);
      continue;
    }
    out.set(f[0]!, v);
  }
  return out;
}

/** A single value file where `max` means no limit: number, Infinity for `max`, undefined for garbage. */
export function parseMaxValue(text: string): number | undefined {
  const t = text.trim();
  return t === 'max' ? Infinity : num(t);
}

/** cpu.max ("$QUOTA $PERIOD", quota may be `max`). */
export function parseCpuMax(text: string): { quota: number; period: number } | undefined {
  const f = fields(text);
  const quota = f[0] === 'max' ? Infinity : num(f[0]);
  const period = num(f[1]);
  return quota === undefined || period === undefined ? undefined : { quota, period };
}

export interface IoStat {
  major: string;
  minor: string;
  stats: Map<string, number>;
}

/** io.stat: "MAJ:MIN rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device. */
export function parseIoStat(text: string, issues: Issues = []): IoStat[] {
  const out: IoStat[] = [];
  for (const line of lines(text)) {
    const f = fields(line);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!dev) {
      issues.push(`line ${quote(line)} does not start with MAJ:MIN`);
      continue;
    }
    const stats = new Map<string, number>();
    for (const kv of f.slice(1)) {
      const [k, v] = kv.split('=');
      const n = num(v);
      if (k && n !== undefined) stats.set(k, n);
    }
    out.push({ major: dev[1]!, minor: dev[2]!, stats });
  }
  return out;
}

/** Per PSI resource: its file and its two families' names and help. */
const psiFamilies = [
  ['cpu', 'Total time duration tasks in the container have waited due to CPU congestion.', 'Total time duration no tasks in the container could make progress due to CPU congestion.'],
  ['memory', 'Total time duration tasks in the container have waited due to memory congestion.', 'Total time duration no tasks in the container could make progress due to memory congestion.'],
  ['io', 'Total time duration tasks in the container have waited due to IO congestion.', 'Total time duration no tasks in the container could make progress due to IO congestion.'],
].map(([res, waitingHelp, stalledHelp]) => ({
  file: `${res}.pressure`,
  waiting: `container_pressure_${res}_waiting_seconds_total`,
  waitingHelp: waitingHelp!,
  stalled: `container_pressure_${res}_stalled_seconds_total`,
  stalledHelp: stalledHelp!,
}));

export function cgroupCollector(): Collector {
  const deviceNames = new Map<string, string>();
  // The cgroup path of the last round, checked, and its label set: the same every round, made once.
  let checkedPath: string | undefined;
  let pathLabels = { id: '' };
  return {
    name: 'cgroup',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      let path = hostOptions(ctx.config).cgroup.path;
      if (path === '') {
        const self = await readText(join(ctx.paths.procfs, 'self/cgroup'));
        const p = self === undefined ? undefined : parseProcCgroup(self);
        if (p === undefined) throw new NoDataError('no cgroup v2 entry (0::) in /proc/self/cgroup');
        path = p;
      }
      // A path with ".." is a cgroup outside this cgroup namespace's root: its files are not under our mount.
      if (path !== checkedPath) {
        if (path.split('/').includes('..')) throw new NoDataError(`cgroup ${path} lies outside this cgroup namespace`);
        checkedPath = path;
        pathLabels = { id: path };
      }
      const base = join(ctx.paths.sysfs, 'fs/cgroup');
      let root = base;
      if ((await readText(join(base, 'cgroup.controllers'))) === undefined) {
        root = join(base, 'unified');
        if ((await readText(join(root, 'cgroup.controllers'))) === undefined) throw new NoDataError(`no cgroup v2 hierarchy under ${base}`);
      }
      const dir = join(root, path);
      const read = (f: string): Promise<string | undefined> => readText(join(dir, f));
      const labels = pathLabels;
      const out: FamilySamples[] = [];
      const put = (name: string, help: string, type: MetricType, value: number | undefined, extra?: Record<string, string>): void => {
        if (value === undefined || Number.isNaN(value)) return;
        let existing: FamilySamples | undefined;
        for (const f of out)
          if (f.name === name) {
            existing = f;
            break;
          }
        // The store copies a new series' labels: samples without extra labels share the round's set.
        const sample = { labels: extra === undefined ? labels : { ...labels, ...extra }, value };
        if (existing) existing.samples.push(sample);
        else out.push(family(name, help, type, [sample]));
      };
      const us = (v: number | undefined): number | undefined => (v === undefined ? undefined : v / 1e6);
      let found = 0;

      const cpuStat = await read('cpu.stat');
      if (cpuStat !== undefined) {
        found++;
        const s = parseFlatKeyed(cpuStat, ctx.issues);
        put('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.', 'counter', us(s.get('usage_usec')), { cpu: 'total' });
        put('container_cpu_user_seconds_total', 'Cumulative user cpu time consumed in seconds.', 'counter', us(s.get('user_usec')));
        put('container_cpu_system_seconds_total', 'Cumulative system cpu time consumed in seconds.', 'counter', us(s.get('system_usec')));
        put('container_cpu_cfs_periods_total', 'Number of elapsed enforcement period intervals.', 'counter', s.get('nr_periods'));
        put('container_cpu_cfs_throttled_periods_total', 'Number of throttled period intervals.', 'counter', s.get('nr_throttled'));
        put('container_cpu_cfs_throttled_seconds_total', 'Total time duration the container has been throttled.', 'counter', us(s.get('throttled_usec')));
      }
      const cpuMax = await read('cpu.max');
      const cm = cpuMax === undefined ? undefined : parseCpuMax(cpuMax);
      if (cm) {
        put('container_spec_cpu_period', 'CPU period of the container.', 'gauge', cm.period);
        if (cm.quota !== Infinity) put('container_spec_cpu_quota', 'CPU quota of the container.', 'gauge', cm.quota);
      }

      const current = await read('memory.current');
      const memStatText = await read('memory.stat');
      const memStat = memStatText === undefined ? new Map<string, number>() : parseFlatKeyed(memStatText, ctx.issues);
      if (current !== undefined || memStatText !== undefined) found++;
      const usage = current === undefined ? undefined : num(current.trim());
      put('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed', 'gauge', usage);
      if (usage !== undefined) {
        const inactive = memStat.get('inactive_file') ?? 0;
        put('container_memory_working_set_bytes', 'Current working set in bytes.', 'gauge', Math.max(0, usage - inactive));
      }
      put('container_memory_rss', 'Size of RSS in bytes.', 'gauge', memStat.get('anon'));
      put('container_memory_cache', 'Number of bytes of page cache memory.', 'gauge', memStat.get('file'));
      put('container_memory_mapped_file', 'Size of memory mapped files in bytes.', 'gauge', memStat.get('file_mapped'));
      put('container_memory_kernel_usage', 'Size of kernel memory allocated in bytes.', 'gauge', memStat.get('kernel'));
      for (const t of ['pgfault', 'pgmajfault']) {
        put('container_memory_failures_total', 'Cumulative count of memory allocation failures.', 'counter', memStat.get(t), { failure_type: t, scope: 'container' });
      }
      const swap = await read('memory.swap.current');
      if (swap !== undefined) put('container_memory_swap', 'Container swap usage in bytes.', 'gauge', num(swap.trim()));
      const memMax = await read('memory.max');
      const limit = memMax === undefined ? undefined : parseMaxValue(memMax);
      if (limit !== undefined && limit !== Infinity) put('container_spec_memory_limit_bytes', 'Memory limit for the container.', 'gauge', limit);
      const swapMax = await read('memory.swap.max');
      const swapLimit = swapMax === undefined ? undefined : parseMaxValue(swapMax);
      if (swapLimit !== undefined && swapLimit !== Infinity) put('container_spec_memory_swap_limit_bytes', 'Memory swap limit for the container.', 'gauge', swapLimit);
      const events = await read('memory.events');
      if (events !== undefined) put('container_oom_events_total', 'Count of out of memory events observed for the container', 'counter', parseFlatKeyed(events, ctx.issues).get('oom_kill'));

      const io = await read('io.stat');
      if (io !== undefined) {
        found++;
        for (const d of parseIoStat(io, ctx.issues)) {
          const device = deviceName(ctx.paths.sysfs, `${d.major}:${d.minor}`, deviceNames);
          put('container_fs_reads_bytes_total', 'Cumulative count of bytes read', 'counter', d.stats.get('rbytes'), { device });
          put('container_fs_writes_bytes_total', 'Cumulative count of bytes written', 'counter', d.stats.get('wbytes'), { device });
          put('container_fs_reads_total', 'Cumulative count of reads completed', 'counter', d.stats.get('rios'), { device });
          put('container_fs_writes_total', 'Cumulative count of writes completed', 'counter', d.stats.get('wios'), { device });
        }
      }

      const pids = await read('pids.current');
      if (pids !== undefined) {
        found++;
        put('container_threads', 'Number of threads running inside the container', 'gauge', num(pids.trim()));
        const pmax = await read('pids.max');
        const pm = pmax === undefined ? undefined : parseMaxValue(pmax);
        if (pm !== undefined) put('container_threads_max', 'Maximum number of threads allowed inside the container, infinity if value is zero', 'gauge', pm === Infinity ? 0 : pm);
      }

      for (const f of psiFamilies) {
        const text = await readPsi(join(dir, f.file));
        if (text === undefined) continue;
        const psi = parsePressure(text, ctx.issues);
        put(f.waiting, f.waitingHelp, 'counter', psi.some?.totalSeconds);
        put(f.stalled, f.stalledHelp, 'counter', psi.full?.totalSeconds);
      }

      if (found === 0) throw new NoDataError(`no cpu.stat, memory.*, io.stat or pids.* under ${dir}`);
      return out;
    },
  };
}

/** MAJ:MIN → "/dev/<name>" through the /sys/dev/block symlink; the numbers themselves when it cannot be resolved. */
function deviceName(sysfs: string, majMin: string, cache: Map<string, string>): string {
  const hit = cache.get(majMin);
  if (hit) return hit;
  const target = linkTarget(join(sysfs, 'dev/block', majMin));
  const name = target === undefined ? majMin : '/dev/' + basename(target);
  if (cache.size > 1000) cache.clear();
  cache.set(majMin, name);
  return name;
}
