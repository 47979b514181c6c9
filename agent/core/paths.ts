/**
 * The host roots every reader of /proc, /sys and the root filesystem goes through (`path.procfs`, `path.sysfs`,
 * `path.rootfs`), so a containerised agent reads the host's files under a bind mount and tests read a fake tree.
 */
import { join } from 'node:path';
import type { Config } from '../config/config';

export interface Paths {
  procfs: string;
  sysfs: string;
  rootfs: string;
}

/** Resolves the configured roots: procfs/sysfs left at their defaults follow path.rootfs. */
export function resolvePaths(config: Config): Paths {
  const rootfs = config.string('path.rootfs');
  const under = (key: string, def: string): string => {
    const v = config.string(key);
    return v === def && config.source(key) === 'default' && rootfs !== '/' ? join(rootfs, def) : v;
  };
  return { rootfs, procfs: under('path.procfs', '/proc'), sysfs: under('path.sysfs', '/sys') };
}
