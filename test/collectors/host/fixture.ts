/** Paths of the checked-in fake host and a run of every host collector over it. */
import { join, resolve } from 'node:path';
import { Config } from '../../../agent/config/config';
import { silentLogger } from '../../../agent/core/log';
import { resolvePaths } from '../../../agent/collectors/collector';
import { CollectorRunner } from '../../../agent/collectors/runner';
import { hostCollectors, HostCollectorOptions } from '../../../agent/collectors/host/index';
import { render } from '../../../agent/exposition/render';
import { Store } from '../../../agent/store/store';
import { FsStats, StatfsTimeoutError } from '../../../agent/collectors/host/statfs-pool';
import { agentKeys } from '../../../agent/keys';

/** test/fixtures/host in the source tree (tests run from dist/test/...). */
export const fixtureHost = resolve(__dirname, '../../../../test/fixtures/host');
/** Edge-case fixtures next to these tests. */
export const edgeFixtures = resolve(__dirname, '../../../../test/collectors/host/fixtures');

export function fixtureConfig(overrides: Record<string, unknown> = {}): Config {
  return Config.defaults(agentKeys).with({
    'path.procfs': join(fixtureHost, 'proc'),
    'path.sysfs': join(fixtureHost, 'sys'),
    'path.rootfs': join(fixtureHost, 'rootfs'),
    ...overrides,
  });
}

/** The fixture host's filesystems, by mount point: a fake statfs (no real syscall against the fixture tree). */
const fakeFs: Record<string, FsStats | 'EACCES' | 'hang'> = {
  '/': { bsize: 4096, blocks: 61_000_000, bfree: 30_500_000, bavail: 27_400_000, files: 15_597_568, ffree: 14_900_000 },
  '/boot/efi': { bsize: 4096, blocks: 130_812, bfree: 129_200, bavail: 129_200, files: 0, ffree: 0 },
  '/data': { bsize: 4096, blocks: 244_190_646, bfree: 200_000_000, bavail: 200_000_000, files: 488_380_416, ffree: 488_000_000 },
  '/srv/My Media': { bsize: 4096, blocks: 244_190_646, bfree: 200_000_000, bavail: 200_000_000, files: 488_380_416, ffree: 488_000_000 },
  '/home': { bsize: 4096, blocks: 61_000_000, bfree: 30_500_000, bavail: 27_400_000, files: 15_597_568, ffree: 14_900_000 },
  '/dev/shm': { bsize: 4096, blocks: 2_030_864, bfree: 2_030_864, bavail: 2_030_864, files: 2_030_864, ffree: 2_030_863 },
  '/run': { bsize: 4096, blocks: 407_173, bfree: 406_900, bavail: 406_900, files: 2_030_864, ffree: 2_030_000 },
  '/run/user/1000': { bsize: 4096, blocks: 407_172, bfree: 407_150, bavail: 407_150, files: 407_172, ffree: 407_140 },
  '/mnt/nfs': 'EACCES',
  '/mnt/gone': 'hang',
};

export function fakeStatfs(rootfs: string) {
  return async (path: string, timeoutMs: number): Promise<FsStats> => {
    const mp = path.startsWith(rootfs) ? path.slice(rootfs.length) || '/' : path;
    const v = fakeFs[mp];
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${mp}`), { code: 'ENOENT' });
    if (v === 'EACCES') throw Object.assign(new Error(`EACCES: permission denied, statfs '${mp}'`), { code: 'EACCES' });
    if (v === 'hang') throw new StatfsTimeoutError(mp, timeoutMs);
    return v;
  };
}

/** The fixture clock: 2023-11-14T22:13:20Z. */
export const fixtureNowMs = 1_700_000_000_000;

/**
 * The fixture host's clock state, as adjtimex(2) reports it on a host disciplined by an NTP daemon in nanosecond
 * mode (STA_PLL | STA_NANO): offset -123.456 µs, frequency +18.84 ppm.
 */
export const fixtureTimex = {
  state: 0,
  offset: -123_456,
  freq: 1_234_567,
  maxerror: 12_345,
  esterror: 678,
  status: 0x2001,
  constant: 7,
  precision: 1,
  tolerance: 32_768_000,
  tick: 10_000,
  ppsfreq: 0,
  jitter: 0,
  shift: 0,
  stabil: 0,
  jitcnt: 0,
  calcnt: 0,
  errcnt: 0,
  stbcnt: 0,
  tai: 37,
};

export const fixtureOptions = (): HostCollectorOptions => ({
  statfs: fakeStatfs(join(fixtureHost, 'rootfs')),
  adjtimex: () => ({ ok: true, timex: fixtureTimex }),
  zone: () => ({ name: 'UTC', offsetSeconds: 0 }),
  machine: () => 'x86_64',
});

/**
 * Runs every host collector once over the fixture tree and renders the text exposition, without
 * node_scrape_collector_duration_seconds (wall-clock dependent).
 */
export async function collectFixture(config = fixtureConfig()): Promise<string> {
  const store = new Store({ now: () => fixtureNowMs });
  const collectors = hostCollectors(fixtureOptions());
  const runner = new CollectorRunner({ store, config, paths: resolvePaths(config), log: silentLogger(), collectors, now: () => fixtureNowMs });
  await runner.collectOnce();
  for (const c of collectors) await c.close?.();
  const dur = store.getFamily('node_scrape_collector_duration_seconds');
  if (dur) for (const s of [...dur.series.values()]) store.remove(s);
  return render(store, 'text');
}

/** A collect context over the given roots (a missing root is fine: collectors then find no data). */
export function collectContext(roots: { procfs?: string; sysfs?: string; rootfs?: string } = {}, overrides: Record<string, unknown> = {}, log = silentLogger()) {
  const config = fixtureConfig(overrides);
  const paths = {
    procfs: roots.procfs ?? join(fixtureHost, 'proc'),
    sysfs: roots.sysfs ?? join(fixtureHost, 'sys'),
    rootfs: roots.rootfs ?? join(fixtureHost, 'rootfs'),
  };
  const issues: string[] = [];
  return { paths, config, log, signal: new AbortController().signal, nowMs: fixtureNowMs, issues };
}

/** A logger that records warn-level messages (for "garbled input is logged, not fatal"). */
export function recordingLogger(): { log: ReturnType<typeof silentLogger>; warnings: unknown[] } {
  const warnings: unknown[] = [];
  const log = silentLogger();
  const wrapped = Object.create(log) as typeof log;
  wrapped.warn = ((obj: unknown) => {
    warnings.push(obj);
  }) as typeof log.warn;
  return { log: wrapped, warnings };
}
