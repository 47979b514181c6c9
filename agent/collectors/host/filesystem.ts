/**
 * filesystem: the mount table (/proc/1/mountinfo, else /proc/self/mountinfo) and a statfs of every mount not
 * excluded by type or mount point → node_filesystem_{size,free,avail}_bytes, node_filesystem_files{,_free},
 * node_filesystem_readonly and node_filesystem_device_error (node_exporter's filesystem collector).
 *
 * statfs goes through a StatfsFn with a deadline: the addon's native statfs threads (agent/native/statfs.ts), or,
 * when the addon is not loaded, their twin, a StatfsPool of worker threads (statfs-pool.ts). A mount whose statfs times out is reported with device_error 1 and not asked again until the
 * call returns (node_exporter's "stuck mounts"); a mount whose statfs fails reports device_error 1 alone.
 * Mount paths carry the kernel's octal escapes (`\040` for a space), decoded here. Runs closer together than
 * `collectors.filesystem.interval` repeat the last pass instead of statfs-ing every mount again.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { createNativeStatfsPool } from '../../native/statfs';
import { StatfsBusyError, StatfsFn, StatfsPool, StatfsPoolStats, StatfsRunner, StatfsTimeoutError } from './statfs-pool';
import { hostOptions } from './options';
import { fields, Issues, lines, quote, readText, unescapeOctal } from './text';

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
  /** Per-mount options (rw/ro, noatime, ...). */
  options: string[];
  superOptions: string[];
}

/** /proc/<pid>/mountinfo → mounts, in table order. */
export function parseMountinfo(text: string, issues: Issues = []): Mount[] {
  const out: Mount[] = [];
  for (const line of lines(text)) {
    const f = fields(line);
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0 || sep + 2 >= f.length) {
      issues.push(`line ${quote(line)} is not a mountinfo record`);
      continue;
    }
    out.push({
      mountPoint: unescapeOctal(f[4]!),
      options: f[5]!.split(','),
      fsType: unescapeOctal(f[sep + 1]!),
      device: unescapeOctal(f[sep + 2]!),
      superOptions: (f[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

/** Drops the rootfs prefix from a mount point ("/host/var" → "/var" when the host's / is mounted at /host). */
export function stripRootfs(rootfs: string, mountPoint: string): string {
  if (rootfs === '/' || rootfs === '') return mountPoint;
  const r = rootfs.replace(/\/+$/, '');
  if (mountPoint === r) return '/';
  return mountPoint.startsWith(r + '/') ? mountPoint.slice(r.length) : mountPoint;
}

export interface FilesystemOptions {
  /** Replaces the worker-thread pool (tests; a fake for fixture trees). */
  statfs?: StatfsFn;
  /** Keeps the pool but replaces what its threads run (tests simulating a hung mount; see StatfsPoolOptions.impl). */
  statfsImpl?: { impl: string; workerData?: unknown };
  /** 'worker' uses the worker-thread twin even when the addon is loaded (tests). statfsImpl implies it. */
  statfsPool?: 'native' | 'worker';
  /** Native pool, tests only: open() each path before its statfs, so a FIFO plays a hung mount. */
  statfsTestOpenFirst?: boolean;
}

export interface FilesystemCollector extends Collector {
  /** The statfs threads' state (undefined before the first run or with an injected StatfsFn). */
  statfsStats(): StatfsPoolStats | undefined;
  /** Which statfs threads serve the collector: native (the addon) or worker (the twin); undefined before the first run. */
  statfsMechanism(): 'native' | 'worker' | undefined;
  /** Mounts currently treated as stuck (statfs paths). */
  stuckMounts(): string[];
}

const labelsOf = (m: Mount): Record<string, string> => ({ device: m.device, mountpoint: m.mountPoint, fstype: m.fsType });

export function filesystemCollector(opts: FilesystemOptions = {}): FilesystemCollector {
  /** statfs paths whose call timed out and has not returned yet. */
  const stuck = new Set<string>();
  let pool: StatfsRunner | undefined;
  /** Calls are being refused (every statfs thread blocked): said once in the log, again after it clears. */
  let refusing = false;
  let last: { atMs: number; fams: FamilySamples[] } | undefined;

  const statfsOf = (ctx: Parameters<Collector['collect']>[0]): StatfsFn => {
    if (opts.statfs) return opts.statfs;
    if (pool) return pool.statfs;
    const o = hostOptions(ctx.config).filesystem;
    const onLate = (path: string): void => {
      if (stuck.delete(path)) ctx.log.info({ collector: 'filesystem', path }, 'A stuck mount answered statfs again; it is monitored again.');
    };
    const worker = opts.statfsImpl !== undefined || opts.statfsPool === 'worker';
    pool = worker ? undefined : createNativeStatfsPool({ threads: o.statfsThreads, maxBlocked: o.statfsMaxBlocked, onLate, testOpenFirst: opts.statfsTestOpenFirst });
    pool ??= new StatfsPool({ threads: o.statfsThreads, maxBlocked: o.statfsMaxBlocked, impl: opts.statfsImpl?.impl, workerData: opts.statfsImpl?.workerData, onLate });
    return pool.statfs;
  };

  return {
    name: 'filesystem',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const o = hostOptions(ctx.config).filesystem;
      const interval = o.intervalMs;
      if (last && ctx.nowMs - last.atMs < interval && ctx.nowMs >= last.atMs) return last.fams;
      let text = await readText(join(ctx.paths.procfs, '1/mountinfo')).catch(() => undefined);
      text ??= await readText(join(ctx.paths.procfs, 'self/mountinfo'));
      if (text === undefined) throw new NoDataError('no /proc/1/mountinfo or /proc/self/mountinfo');
      const mounts = parseMountinfo(text, ctx.issues);

      const mpExclude = o.mountPointsExclude;
      const typeExclude = o.fsTypesExclude;
      const timeoutMs = o.statfsTimeoutMs;
      const statfs = statfsOf(ctx);
      const seen = new Set<string>();
      const wanted: Mount[] = [];
      for (const raw of mounts) {
        const m = { ...raw, mountPoint: stripRootfs(ctx.paths.rootfs, raw.mountPoint) };
        if (mpExclude?.test(m.mountPoint) || typeExclude?.test(m.fsType)) continue;
        const key = `${m.device}\0${m.mountPoint}\0${m.fsType}`;
        if (seen.has(key)) continue;
        seen.add(key);
        wanted.push(m);
      }

      const names = ['size_bytes', 'free_bytes', 'avail_bytes', 'files', 'files_free', 'readonly', 'device_error'] as const;
      const helps = [
        'Filesystem size in bytes.',
        'Filesystem free space in bytes.',
        'Filesystem space available to non-root users in bytes.',
        'Filesystem total file nodes.',
        'Filesystem total free file nodes.',
        'Filesystem read-only status.',
        'Whether an error occurred while getting statistics for the given device.',
      ];
      const fams = names.map((n, i) => family(`node_filesystem_${n}`, helps[i]!, 'gauge'));
      const [size, free, avail, files, filesFree, ro, devErr] = fams as [FamilySamples, FamilySamples, FamilySamples, FamilySamples, FamilySamples, FamilySamples, FamilySamples];

      let refused = 0;
      const results = await Promise.all(
        wanted.map(async (m) => {
          const path = join(ctx.paths.rootfs, m.mountPoint);
          if (stuck.has(path)) return { m, err: 'stuck' as const };
          if (ctx.signal.aborted) return { m, err: 'aborted' as const };
          try {
            return { m, stats: await statfs(path, timeoutMs) };
          } catch (err) {
            if (err instanceof StatfsTimeoutError) {
              stuck.add(path);
              ctx.log.warn({ collector: 'filesystem', mountpoint: m.mountPoint, timeout_ms: timeoutMs }, 'Mount point timed out; it is labeled as stuck and skipped until statfs returns.');
            } else if (err instanceof StatfsBusyError) {
              refused++;
            } else {
              ctx.log.debug({ collector: 'filesystem', mountpoint: m.mountPoint, err: (err as Error).message }, 'statfs failed for a mount point.');
            }
            return { m, err: 'error' as const };
          }
        }),
      );
      if (refused > 0 && !refusing) {
        const blocked = pool?.stats().blocked;
        ctx.log.warn(
          { collector: 'filesystem', refused, blocked },
          'Every statfs thread the collector may have is blocked on a hung mount; statfs is not called for the other mounts until one returns.',
        );
      }
      refusing = refused > 0;
      for (const r of results) {
        const labels = labelsOf(r.m);
        devErr.samples.push({ labels, value: r.stats ? 0 : 1 });
        if (!r.stats) continue;
        const s = r.stats;
        size.samples.push({ labels, value: s.blocks * s.bsize });
        free.samples.push({ labels, value: s.bfree * s.bsize });
        avail.samples.push({ labels, value: s.bavail * s.bsize });
        files.samples.push({ labels, value: s.files });
        filesFree.samples.push({ labels, value: s.ffree });
        ro.samples.push({ labels, value: r.m.options.includes('ro') || r.m.superOptions.includes('ro') ? 1 : 0 });
      }
      const out = fams.filter((f) => f.samples.length > 0);
      out.push(...statfsTelemetry(pool?.stats(), stuck.size));
      last = { atMs: ctx.nowMs, fams: out };
      return out;
    },
    close(): void {
      pool?.close();
      pool = undefined;
    },
    statfsStats: () => pool?.stats(),
    statfsMechanism: () => (pool === undefined ? undefined : pool instanceof StatfsPool ? 'worker' : 'native'),
    stuckMounts: () => [...stuck],
  };
}

/** What the statfs bound did, as the agent's own metrics (every bound has a counter that says what it did). */
function statfsTelemetry(stats: StatfsPoolStats | undefined, stuck: number): FamilySamples[] {
  if (!stats) return [];
  return [
    family('outrider_filesystem_statfs_threads', 'Threads making statfs calls for the filesystem collector, by state (blocked: stuck in a call past its deadline).', 'gauge', [
      { labels: { state: 'active' }, value: stats.active },
      { labels: { state: 'blocked' }, value: stats.blocked },
    ]),
    family('outrider_filesystem_statfs_timeouts_total', 'statfs calls that passed collectors.filesystem.statfs_timeout.', 'counter', [{ labels: {}, value: stats.timeouts }]),
    family('outrider_filesystem_statfs_refused_total', 'statfs calls refused at once because every thread the pool may have was blocked on a hung mount.', 'counter', [
      { labels: {}, value: stats.busyRejections },
    ]),
    family('outrider_filesystem_stuck_mounts', 'Mounts skipped (device_error 1) because their last statfs has not returned.', 'gauge', [{ labels: {}, value: stuck }]),
  ];
}
