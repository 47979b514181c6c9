/**
 * The textfile collector's directories: each configured entry is a path or a glob of Go's filepath.Glob syntax (`*`
 * and `?` within one path element, `[...]` classes with `^` negation, `\` escapes), as node_exporter 1.3+ reads
 * --collector.textfile.directory (repeatable since 1.9). An entry that matches nothing, or is not a valid pattern, is
 * kept as written, so reading it fails (node_exporter's behaviour: a glob that matches nothing is a scrape error).
 * Matches come sorted within each directory level, as Go's Glob returns them; an entry already listed (the same
 * directory named twice, overlapping globs) is listed once, which gives what node_exporter gives for the repeat: its
 * files again, every series a duplicate of the first. At most `maxDirectories` paths are returned.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { elementPattern } from '../../core/glob-pattern';

/** Paths one configuration can name through its globs: a pattern like `/*` cannot make a scrape walk a whole disk. */
export const maxDirectories = 1024;

const meta = /[*?[\\]/;

/** Go's filepath.Glob over `pattern`; [] when nothing matches, undefined when the pattern is malformed. */
export function glob(pattern: string, limit = maxDirectories): string[] | undefined {
  if (!meta.test(pattern)) {
    try {
      statSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let found: string[] = [absolute ? '/' : '.'];
  const start = absolute ? 1 : 0;
  for (let k = start; k < parts.length; k++) {
    const part = parts[k]!;
    const next: string[] = [];
    if (!meta.test(part)) {
      for (const base of found) {
        const p = base === '.' && !absolute ? part : join(base, part);
        try {
          statSync(p);
          next.push(p);
        } catch {
          // no such entry: this branch matches nothing
        }
      }
    } else {
      const re = elementPattern(part);
      if (re === undefined) return undefined;
      for (const base of found) {
        let names: string[];
        try {
          names = readdirSync(base).sort();
        } catch {
          continue;
        }
        for (const n of names) if (re.test(n)) next.push(base === '.' && !absolute ? n : join(base, n));
        if (next.length > limit) return next.slice(0, limit);
      }
    }
    found = next;
    if (found.length === 0) return [];
  }
  return found;
}

/**
 * The directories to read, in order: each entry's matches, or the entry itself when it matches nothing; empty entries
 * skipped, repeats (by resolved path) listed once.
 */
export function textfileDirectories(entries: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry === '') continue;
    const matches = glob(entry, maxDirectories - out.length);
    const paths = matches === undefined || matches.length === 0 ? [entry] : matches;
    for (const p of paths) {
      const key = resolve(p);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(p);
      if (out.length >= maxDirectories) return out;
    }
  }
  return out;
}
