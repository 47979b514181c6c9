/**
 * Small synchronous sysfs/procfs readers for the gpu collector. These files are made by the kernel on read: a read
 * takes microseconds and waits on no disk, so it does not go through the libuv pool. Missing is undefined.
 */
import { readFileSync } from 'node:fs';

/** A file's text; undefined when it is missing or unreadable (a card going away mid-read is not an error). */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export { linkTarget, listDir } from '../fs-read';

/** A decimal integer or number; undefined for anything else (empty, garbage). */
export function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}
