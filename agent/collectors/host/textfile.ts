/**
 * textfile: `*.prom` files in the directories of `collectors.textfile.directory` (node_exporter's
 * `--collector.textfile.directory`: a list, each entry a path or a glob, repeatable as node_exporter 1.9; see
 * textfile-dirs.ts), each parsed strictly by the shared text-format reader, exposed as written, plus
 * node_textfile_mtime_seconds{file} (the full path) for every file read and node_textfile_scrape_error (1 when any
 * directory or file failed). Directories are read in the order given, files by name within each: the same file name
 * in two directories is two files, each with its own mtime series, their families merged as any two files'.
 *
 * As node_exporter: a file that does not parse, carries client-side timestamps, is not a regular file or cannot be
 * read is an error for that file alone (its samples are left out, the others are kept); a family found in several
 * files is merged into one (the first HELP and TYPE win; a file declaring another type for it is an error for that
 * file; a family whose HELP differs from the one an earlier file gave it is refused from that file, an error as in
 * node_exporter 1.8+); a family without HELP gets "Metric read from <files>"; the samples of a family get the union
 * of its label names, missing ones empty. A series repeated within the merged family keeps its first value (the rest noted).
 * A file over `maxFileBytes` is an error for that file. No directory configured disables the files but still
 * reports node_textfile_scrape_error 0.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from './join';
import { Collector, family } from '../collector';
import { parseText, ParsedFamily } from '../../formats/parse';
import type { Distribution, FamilySamples, MetricType, Sample } from '../../store/types';
import { hostOptions } from './options';
import { textfileDirectories } from './textfile-dirs';

/** Largest file read (bytes): a runaway writer cannot make a scrape hold an unbounded buffer. */
export const maxFileBytes = 16 * 1024 * 1024;

/** Reads a regular file of at most `max` bytes; throws a plain Error otherwise. */
function readBounded(path: string, max: number): { text: string; mtimeMs: number } {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    if (st.size > max) throw new Error(`${path} is ${st.size} bytes, over the ${max}-byte limit`);
    const buf = Buffer.alloc(Math.min(st.size, max) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > max) throw new Error(`${path} grew over the ${max}-byte limit while read`);
      if (n === buf.length) throw new Error(`${path} grew while read`);
    }
    return { text: buf.subarray(0, n).toString('utf8'), mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

interface Merged {
  name: string;
  help: string | undefined;
  type: MetricType;
  files: string[];
  samples: Sample[];
  keys: Set<string>;
}

const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** A parsed family's samples as store samples: histogram and summary lines folded into distributions. */
export function toSamples(f: ParsedFamily): Sample[] {
  const type = f.type ?? 'untyped';
  if (type !== 'histogram' && type !== 'summary') return f.samples.map((s) => ({ labels: s.labels, value: s.value }));
  const groups = new Map<string, { labels: Record<string, string>; d: { count: number; sum: number; buckets: Array<[number, number]>; quantiles: Array<[number, number]> } }>();
  for (const s of f.samples) {
    const { le, quantile, ...labels } = s.labels;
    const k = key(labels);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { labels, d: { count: 0, sum: 0, buckets: [], quantiles: [] } }));
    const suffix = s.name.slice(f.name.length);
    if (suffix === '_sum') g.d.sum = s.value;
    else if (suffix === '_count') g.d.count = s.value;
    else if (suffix === '_bucket') g.d.buckets.push([Number(le === '+Inf' ? Infinity : le), s.value]);
    else g.d.quantiles.push([Number(quantile), s.value]);
  }
  return [...groups.values()].map(({ labels, d }) => {
    const dist: Distribution =
      type === 'histogram' ? { count: d.count, sum: d.sum, buckets: d.buckets.sort((a, b) => a[0] - b[0]) } : { count: d.count, sum: d.sum, quantiles: d.quantiles.sort((a, b) => a[0] - b[0]) };
    return { labels, dist };
  });
}

/**
 * Reads one file into `merged` and its mtime into `mtimes`; false (with the reason in `issues`) when it failed or one
 * of its families was refused.
 */
function readFile(path: string, merged: Map<string, Merged>, mtimes: FamilySamples, issues: string[]): boolean {
  try {
    if (!statSync(path).isFile()) throw new Error(`${path} is not a regular file`);
    const { text, mtimeMs } = readBounded(path, maxFileBytes);
    const fams = parseText(text).families;
    for (const f of fams) {
      if (f.samples.some((s) => s.timestampMs !== undefined)) throw new Error(`${path} contains unsupported client-side timestamps (${f.name})`);
      const prev = merged.get(f.name);
      if (prev && f.type !== undefined && f.type !== prev.type) throw new Error(`${path}: ${f.name} is declared ${f.type}, another file declared it ${prev.type}`);
    }
    let ok = true;
    for (const f of fams) {
      let m = merged.get(f.name);
      if (m?.help !== undefined && f.help !== undefined && f.help !== m.help) {
        // node_exporter 1.8+: a family whose HELP contradicts an earlier file's is refused (the file's others kept).
        issues.push(`textfile ${path}: ${f.name} has HELP ${JSON.stringify(f.help)}, an earlier file gave it ${JSON.stringify(m.help)}; left out`);
        ok = false;
        continue;
      }
      if (!m) merged.set(f.name, (m = { name: f.name, help: f.help, type: f.type ?? 'untyped', files: [], samples: [], keys: new Set() }));
      m.files.push(path);
      if (m.help === undefined) m.help = f.help;
      for (const s of toSamples(f)) {
        const k = key(s.labels as Record<string, string>);
        if (m.keys.has(k)) {
          issues.push(`${path}: ${f.name}${k} repeats a series read before; the first is kept`);
          continue;
        }
        m.keys.add(k);
        m.samples.push(s);
      }
    }
    mtimes.samples.push({ labels: { file: path }, value: Math.floor(mtimeMs / 1000) });
    return ok;
  } catch (err) {
    issues.push(`textfile ${path}: ${(err as Error).message}`);
    return false;
  }
}

export function textfileCollector(): Collector {
  return {
    name: 'textfile',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const merged = new Map<string, Merged>();
      const mtimes = family('node_textfile_mtime_seconds', 'Unixtime mtime of textfiles successfully read.', 'gauge');
      let errored = 0;
      for (const dir of textfileDirectories(hostOptions(ctx.config).textfile.directories)) {
        let names: string[];
        try {
          names = readdirSync(dir)
            .filter((n) => n.endsWith('.prom'))
            .sort();
        } catch (err) {
          ctx.issues.push(`textfile directory ${dir}: ${(err as Error).message}`);
          names = [];
          errored = 1;
        }
        for (const name of names) if (!readFile(join(dir, name), merged, mtimes, ctx.issues)) errored = 1;
      }
      const out: FamilySamples[] = [];
      for (const m of merged.values()) {
        const names = new Set<string>();
        for (const s of m.samples) for (const l of Object.keys(s.labels)) names.add(l);
        const samples = m.samples.map((s) => {
          if (Object.keys(s.labels).length === names.size) return s;
          const labels: Record<string, string> = {};
          for (const l of names) labels[l] = s.labels[l] ?? '';
          return { ...s, labels };
        });
        out.push({ name: m.name, help: m.help ?? `Metric read from ${m.files.join(', ')}`, type: m.type, samples });
      }
      if (mtimes.samples.length > 0) out.push(mtimes);
      out.push(family('node_textfile_scrape_error', '1 if there was an error opening or reading a file, 0 otherwise', 'gauge', [{ labels: {}, value: errored }]));
      return out;
    },
  };
}
