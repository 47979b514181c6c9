/**
 * Synchronous directory and symlink reads of procfs/sysfs, shared by the collectors that walk those trees. The kernel
 * makes these entries on read (microseconds, no disk wait), so they skip the libuv pool. Missing is undefined.
 */
import { readdirSync, readlinkSync } from 'node:fs';

/** Directory entries; undefined when the directory is missing. */
export function listDir(path: string): string[] | undefined {
  try {
    return readdirSync(path);
  } catch {
    return undefined;
  }
}

/** A symlink's target; undefined when it is not one. */
export function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
