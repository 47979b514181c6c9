/**
 * `path.join` for the host collectors' paths, made once: a collector joins the same procfs and sysfs paths every
 * round, and `path.join` builds and normalises a new string each call (~70 KiB of garbage a round at the default
 * collectors). The joined path of each (directory, name) pair is kept and handed out again; past `MAX_PATHS` pairs
 * the table starts over, so paths that change (a removed device, a textfile) cannot grow it for good.
 */
import { join as pathJoin } from 'node:path';

const MAX_PATHS = 4096;
const joined = new Map<string, Map<string, string>>();
let count = 0;

function pair(a: string, b: string): string {
  let p = joined.get(a)?.get(b);
  if (p !== undefined) return p;
  if (count >= MAX_PATHS) {
    joined.clear();
    count = 0;
  }
  let names = joined.get(a);
  if (names === undefined) {
    names = new Map();
    joined.set(a, names);
  }
  p = pathJoin(a, b);
  names.set(b, p);
  count++;
  return p;
}

/** `path.join(a, b, c, d)`: the same string, the same object each time for the same parts. */
export function join(a: string, b: string, c?: string, d?: string): string {
  let p = pair(a, b);
  if (c !== undefined) p = pair(p, c);
  if (d !== undefined) p = pair(p, d);
  return p;
}
