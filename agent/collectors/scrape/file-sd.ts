/**
 * File-based service discovery in Prometheus's `file_sd` format: each file (`.json`, `.yml` or `.yaml`) holds a list
 * of target groups,
 *
 *   [ { "targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": { "env": "prod" } } ]
 *
 * and each `scrape.file_sd_configs` entry names its files (a glob in the last path element: `*`, `?`, `[...]`) and
 * the settings its targets share (target-config.ts). Every target gets `__meta_filepath`. The files are re-read when
 * their directory changes (fs.watch) and every `refresh_interval` (5m, the fallback where watching does not work).
 *
 * Bounded: at most 1000 files per entry, 4 MiB per file, 10 000 targets per entry (more are dropped and counted). A
 * file that cannot be read or parsed keeps the targets it gave last time (Prometheus's behaviour); the error is
 * counted and logged.
 */
import { FSWatcher, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { yaml } from '../../config/yaml';
import { RateLimiter } from '../../core/log';
import type { Telemetry } from '../../core/telemetry';
import { bad, duration, ScrapeDefaults, TargetTemplate, templateFields, templateFrom } from './target-config';
import { TargetError, targetFromLabels, TargetSpec } from './targets';

export const kMaxFiles = 1000;
export const kMaxFileBytes = 4 * 1024 * 1024;
export const kMaxTargets = 10_000;

export interface FileSdConfig {
  where: string;
  files: string[];
  refreshIntervalMs: number;
  template: TargetTemplate;
}

const fields = new Set(['files', 'refresh_interval', ...templateFields]);

/** Parses one `scrape.file_sd_configs` entry. */
export function fileSdFromConfig(raw: unknown, index: number, d: ScrapeDefaults): FileSdConfig {
  const where = `scrape.file_sd_configs[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(where, 'expected a mapping with files');
  const e = raw as Record<string, unknown>;
  for (const k of Object.keys(e)) if (!fields.has(k)) bad(`${where}.${k}`, 'unknown field');
  if (!Array.isArray(e.files) || e.files.length === 0 || !e.files.every((f) => typeof f === 'string' && f !== ''))
    bad(`${where}.files`, 'expected a list of file paths (a glob such as targets/*.json in the last element)');
  for (const f of e.files as string[]) {
    if (!/\.(json|ya?ml)$/.test(f)) bad(`${where}.files`, `${f}: a file_sd file ends in .json, .yml or .yaml`);
    if (/[*?[]/.test(path.dirname(f))) bad(`${where}.files`, `${f}: a glob is allowed in the last path element only`);
  }
  return { where, files: e.files as string[], refreshIntervalMs: duration(`${where}.refresh_interval`, e.refresh_interval, 300_000), template: templateFrom(e, where, d) };
}

/** `*`, `?` and `[...]` (`[!...]` negated) of one path element as a regular expression. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (set.startsWith('!')) set = '^' + set.slice(1);
        re += `[${set}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

interface Group {
  targets: string[];
  labels: Record<string, string>;
}

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses a file's target groups; throws an Error saying what is wrong. */
export function parseGroups(file: string, text: string): Group[] {
  const doc: unknown = file.endsWith('.json') ? JSON.parse(text) : yaml().parse(text);
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error('expected a list of target groups');
  return doc.map((g, i) => {
    if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new Error(`group ${i}: expected a mapping with targets`);
    const { targets, labels, ...rest } = g as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new Error(`group ${i}: unknown field ${Object.keys(rest)[0]}`);
    if (targets !== undefined && (!Array.isArray(targets) || !targets.every((x) => typeof x === 'string'))) throw new Error(`group ${i}: targets must be a list of host:port strings`);
    const out: Record<string, string> = {};
    if (labels !== undefined && labels !== null) {
      if (typeof labels !== 'object' || Array.isArray(labels)) throw new Error(`group ${i}: labels must be a mapping`);
      for (const [k, v] of Object.entries(labels)) {
        if (!labelName.test(k)) throw new Error(`group ${i}: invalid label name ${JSON.stringify(k)}`);
        if (typeof v !== 'string') throw new Error(`group ${i}: label ${k} must be a string`);
        out[k] = v;
      }
    }
    return { targets: (targets as string[] | undefined) ?? [], labels: out };
  });
}

interface FileState {
  mtimeMs: number;
  size: number;
  groups: Group[];
}

export interface FileSdOptions {
  log: Logger;
  telemetry: Telemetry;
  /** Called after a refresh that changed the discovered targets (every entry's, in order). */
  onChange: (targets: TargetSpec[]) => void;
}

export class FileSd {
  readonly #configs: FileSdConfig[];
  readonly #o: FileSdOptions;
  readonly #files = new Map<string, FileState>();
  readonly #watchers: FSWatcher[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #limiter = new RateLimiter(60_000, 1);
  readonly #errors: Counter;
  readonly #dropped: Counter;
  #debounce: NodeJS.Timeout | undefined;
  #last = '';
  #targets: TargetSpec[] = [];
  #stopped = false;

  constructor(configs: FileSdConfig[], o: FileSdOptions) {
    this.#configs = configs;
    this.#o = o;
    this.#errors = o.telemetry.counter('outrider_scrape_file_sd_read_errors_total', 'file_sd files that could not be read or parsed (their last targets are kept).');
    this.#dropped = o.telemetry.counter('outrider_scrape_file_sd_dropped_targets_total', 'Discovered targets dropped, by reason (address, max_targets, max_files).', ['reason']);
  }

  /** The targets of the last refresh. */
  targets(): TargetSpec[] {
    return this.#targets;
  }

  /** Reads every file once now, then watches the directories and refreshes on each entry's interval. */
  start(): void {
    this.refresh();
    const dirs = new Set(this.#configs.flatMap((c) => c.files.map((f) => path.dirname(path.resolve(f)))));
    for (const d of dirs) {
      try {
        const w = watch(d, { persistent: false }, () => this.#soon());
        w.on('error', () => undefined);
        this.#watchers.push(w);
      } catch {
        // A missing directory: the refresh interval finds files that appear later.
      }
    }
    for (const ms of new Set(this.#configs.map((c) => c.refreshIntervalMs))) {
      const t = setInterval(() => this.refresh(), ms);
      t.unref();
      this.#timers.push(t);
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#debounce);
    for (const t of this.#timers) clearInterval(t);
    for (const w of this.#watchers) w.close();
  }

  #soon(): void {
    if (this.#stopped || this.#debounce) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.refresh();
    }, 50);
    this.#debounce.unref();
  }

  /** Re-reads what changed and calls onChange when the targets differ from the last refresh. */
  refresh(): void {
    if (this.#stopped) return;
    const out: TargetSpec[] = [];
    const live = new Set<string>();
    for (const c of this.#configs) {
      const files = this.#expand(c);
      let n = 0;
      for (const file of files) {
        live.add(file);
        const groups = this.#read(file);
        for (const g of groups)
          for (const addr of g.targets) {
            if (n >= kMaxTargets) {
              this.#dropped.inc({ reason: 'max_targets' });
              continue;
            }
            try {
              const t = targetFromLabels(c.template, addr, { ...g.labels, __address__: addr, __meta_filepath: file });
              if (t) {
                out.push(t);
                n++;
              }
            } catch (err) {
              if (!(err instanceof TargetError)) throw err;
              this.#dropped.inc({ reason: 'address' });
              this.#warn(file, `${c.where}: ${err.message}`);
            }
          }
      }
    }
    for (const f of [...this.#files.keys()]) if (!live.has(f)) this.#files.delete(f);
    this.#targets = out;
    const fingerprint = out.map((t) => `${t.job} ${t.url.href} ${JSON.stringify(t.labels)}`).join('\n');
    if (fingerprint !== this.#last) {
      this.#last = fingerprint;
      this.#o.onChange(out);
    }
  }

  /** The files an entry names now, sorted, at most kMaxFiles. */
  #expand(c: FileSdConfig): string[] {
    const out = new Set<string>();
    for (const f of c.files) {
      const abs = path.resolve(f);
      const base = path.basename(abs);
      if (!/[*?[]/.test(base)) {
        out.add(abs);
        continue;
      }
      const re = globRegExp(base);
      let names: string[] = [];
      try {
        names = readdirSync(path.dirname(abs));
      } catch {
        continue;
      }
      for (const n of names) if (re.test(n)) out.add(path.join(path.dirname(abs), n));
    }
    const files = [...out].sort();
    if (files.length > kMaxFiles) {
      this.#dropped.inc({ reason: 'max_files' }, files.length - kMaxFiles);
      this.#warn(c.where, `${c.where}: ${files.length} files match; the first ${kMaxFiles} are read`);
    }
    return files.slice(0, kMaxFiles);
  }

  #read(file: string): Group[] {
    const prev = this.#files.get(file);
    try {
      let st;
      try {
        st = statSync(file);
      } catch (err) {
        // A file that is gone (or not yet there) has no targets; that is not an error.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          this.#files.delete(file);
          return [];
        }
        throw err;
      }
      if (prev && prev.mtimeMs === st.mtimeMs && prev.size === st.size) return prev.groups;
      if (st.size > kMaxFileBytes) throw new Error(`larger than ${kMaxFileBytes} bytes`);
      const groups = parseGroups(file, readFileSync(file, 'utf8'));
      this.#files.set(file, { mtimeMs: st.mtimeMs, size: st.size, groups });
      return groups;
    } catch (err) {
      this.#errors.inc();
      this.#warn(file, `cannot use ${file}: ${(err as Error).message}`);
      return prev?.groups ?? [];
    }
  }

  #warn(key: string, message: string): void {
    if (this.#limiter.allow(key + message)) this.#o.log.warn({ err: message }, 'A file_sd file or target cannot be used (a file keeps its last good targets).');
  }
}
