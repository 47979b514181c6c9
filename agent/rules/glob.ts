/**
 * File globs as Prometheus's rule_files take them (Go's filepath.Glob): `*`, `?` and `[...]` within one path segment,
 * no `**`. A pattern without wildcards names one file, which must exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { elementPattern } from '../core/glob-pattern';

const magic = /[*?[]/;

/** Files matching `pattern`, sorted; relative patterns resolve against `cwd`. Throws on a malformed pattern. */
export function globFiles(pattern: string, cwd = process.cwd()): string[] {
  const abs = path.resolve(cwd, pattern);
  if (!magic.test(abs)) return [abs];
  const parts = abs.split(path.sep);
  let dirs = [parts[0] === '' ? path.sep : parts[0]!];
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i]!;
    if (seg === '') continue;
    const next: string[] = [];
    if (!magic.test(seg)) {
      for (const d of dirs) next.push(path.join(d, seg));
    } else {
      const re = elementPattern(seg);
      if (re === undefined) throw new Error(`syntax error in pattern ${JSON.stringify(seg)}`);
      for (const d of dirs) {
        let names: string[];
        try {
          names = fs.readdirSync(d);
        } catch {
          continue;
        }
        for (const n of names.sort()) if (re.test(n)) next.push(path.join(d, n));
      }
    }
    dirs = next;
  }
  return dirs.filter((f) => {
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  });
}
