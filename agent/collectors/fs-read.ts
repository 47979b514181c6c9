/**
 * Synchronous directory and symlink reads of procfs/sysfs, shared by the collectors that walk those trees. The kernel
 * makes these entries on read (microseconds, no disk wait), so they skip the libuv pool. Missing is undefined; a
 * missing directory is remembered (kept-files.ts) so probing for it each run builds no Error.
 */
import { readlinkSync } from 'node:fs';
import { keptFiles } from './kept-files';

/** Directory entries; undefined when the directory is missing (or cannot be listed). */
export function listDir(path: string): string[] | undefined {
  try {
    return keptFiles.list(path);
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
