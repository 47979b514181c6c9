/**
 * /proc/net/rpc/nfs and /proc/net/rpc/nfsd: one statistic per line, a name and unsigned integers (`net 18628 11 18617
 * 6`, `proc3 22 <22 counts>`). The `proc<N>` and `proc4ops` lines open with the number of counts that follow. Shared
 * by the nfs (client) and nfsd (server) collectors, which name the positions as node_exporter does.
 */
import { fields, Issues, lines, quote } from './text';

/** Line name → its numbers; a line with a non-number (other than `th`'s histogram) is skipped and noted. */
export function parseRpcStats(text: string, issues: Issues = [], file = 'rpc'): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const l of lines(text)) {
    const f = fields(l);
    const name = f[0]!;
    // `th <threads> <fullcnt> <histogram of floats>`: only the first two are counts (the histogram is obsolete).
    const rest = name === 'th' ? f.slice(1, 3) : f.slice(1);
    if (rest.length === 0 || !rest.every((x) => /^\d+$/.test(x))) {
      issues.push(`${file}: skipped line ${quote(l)}`);
      continue;
    }
    out.set(name, rest.map(Number));
  }
  return out;
}

/**
 * The counts of a `proc<N>` line named by position (`names[i]` is the i-th count), or undefined when the line is
 * absent. A line whose leading count disagrees with its length, or that has fewer than `min` counts, is noted and
 * treated as absent; missing trailing counts (older kernels) read as 0.
 */
export function procCounts(stats: Map<string, number[]>, line: string, names: readonly string[], min: number, issues: Issues, file: string): Map<string, number> | undefined {
  const v = stats.get(line);
  if (v === undefined) return undefined;
  const n = v[0]!;
  if (v.length - 1 !== n || n < min) {
    issues.push(`${file}: ${line} announces ${n} counts, has ${v.length - 1} (at least ${min} expected)`);
    return undefined;
  }
  return new Map(names.map((name, i) => [name, v[i + 1] ?? 0]));
}

/** The numbers of a fixed-length line, or undefined (noted) when its length differs; an absent line is all zeros. */
export function fixedLine(stats: Map<string, number[]>, line: string, length: number, issues: Issues, file: string): number[] | undefined {
  const v = stats.get(line);
  if (v === undefined) return new Array<number>(length).fill(0);
  if (v.length !== length) {
    issues.push(`${file}: ${line} has ${v.length} numbers, ${length} expected`);
    return undefined;
  }
  return v;
}

export const v2Names = [
  'Null',
  'GetAttr',
  'SetAttr',
  'Root',
  'Lookup',
  'ReadLink',
  'Read',
  'WrCache',
  'Write',
  'Create',
  'Remove',
  'Rename',
  'Link',
  'SymLink',
  'MkDir',
  'RmDir',
  'ReadDir',
  'FsStat',
] as const;
export const v3Names = [
  'Null',
  'GetAttr',
  'SetAttr',
  'Lookup',
  'Access',
  'ReadLink',
  'Read',
  'Write',
  'Create',
  'MkDir',
  'SymLink',
  'MkNod',
  'Remove',
  'RmDir',
  'Rename',
  'Link',
  'ReadDir',
  'ReadDirPlus',
  'FsStat',
  'FsInfo',
  'PathConf',
  'Commit',
] as const;
