/**
 * Loading: defaults < file < environment < flags, every problem collected (not just the first), each naming the key,
 * the offending value and what is expected.
 */
import { readFileSync } from 'node:fs';
import { Config, ConfigSource } from './config';
import { coerce } from './coerce';
import type { KeyDef, KeySet } from './schema';
import { yaml } from './yaml';

export interface ConfigProblem {
  key: string;
  value: string;
  expected: string;
  source: 'file' | 'env' | 'flag';
  /** File path and line, env var name or flag as written. */
  where: string;
}

export interface LoadOptions {
  /** Every key the program understands (assembled by the composition root). */
  keys: KeySet;
  /** Path to a YAML file; missing/unreadable is a problem of its own. */
  file?: string;
  /** YAML text (instead of reading `file`; `file` is then only used for messages). */
  fileText?: string;
  env?: NodeJS.ProcessEnv;
  /** Flags from the command line, name without dashes → values in order (booleans as 'true'). */
  flags?: Map<string, string[]>;
}

export interface LoadResult {
  config: Config;
  problems: ConfigProblem[];
  /** Non-fatal observations, e.g. an OUTRIDER_* variable that names no key. */
  warnings: string[];
}

/** Environment variables with the OUTRIDER_ prefix that are not config keys. */
const nonConfigEnv = new Set([
  'OUTRIDER_CONFIG',
  'OUTRIDER_NATIVE',
  'OUTRIDER_NATIVE_PATH',
  'OUTRIDER_LOG_PRETTY',
  'OUTRIDER_BUNDLE',
  'OUTRIDER_V8_TIERING',
  'OUTRIDER_POD_NAME',
  'OUTRIDER_POD_NAMESPACE',
  'OUTRIDER_NODE_NAME',
  'OUTRIDER_POD_UID',
]);

export function showValue(def: KeyDef | undefined, raw: unknown): string {
  if (def?.secret) return '<redacted>';
  if (typeof raw === 'string') return JSON.stringify(raw);
  try {
    const s = JSON.stringify(raw);
    return s === undefined ? String(raw) : s.length > 120 ? s.slice(0, 117) + '...' : s;
  } catch {
    return String(raw);
  }
}

export function loadConfig(opts: LoadOptions): LoadResult {
  const keys = opts.keys;
  const values = new Map<string, unknown>();
  const sources = new Map<string, ConfigSource>();
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  for (const def of keys.all()) {
    values.set(def.key, structuredClone(def.default));
    sources.set(def.key, 'default');
  }

  if (opts.file !== undefined || opts.fileText !== undefined) {
    const where = opts.file ?? '<config>';
    let text = opts.fileText;
    if (text === undefined) {
      try {
        text = readFileSync(opts.file!, 'utf8');
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        problems.push({
          key: '--config',
          value: showValue(undefined, opts.file),
          expected: `a readable YAML file (${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)})`,
          source: 'file',
          where,
        });
      }
    }
    if (text !== undefined) readFile(keys, text, where, values, sources, problems);
  }

  const env = opts.env ?? {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('OUTRIDER_') || raw === undefined) continue;
    const def = keys.byEnv(name);
    if (!def) {
      if (!nonConfigEnv.has(name)) warnings.push(`environment variable ${name} names no config key; it is ignored`);
      continue;
    }
    apply(def, raw, true, 'env', name, values, sources, problems);
  }

  for (const [flag, raws] of opts.flags ?? []) {
    const key = keys.flagToKey(flag);
    const def = key ? keys.get(key) : undefined;
    if (!def) {
      problems.push({ key: `--${flag}`, value: showValue(undefined, raws.join(' ')), expected: 'a known flag (see --help)', source: 'flag', where: `--${flag}` });
      continue;
    }
    const raw = def.type === 'list' ? raws : raws[raws.length - 1];
    apply(def, raw, true, 'flag', `--${flag}`, values, sources, problems);
  }

  return { config: new Config(keys, values, sources, opts.file), problems, warnings };
}

function apply(
  def: KeyDef,
  raw: unknown,
  fromText: boolean,
  source: 'file' | 'env' | 'flag',
  where: string,
  values: Map<string, unknown>,
  sources: Map<string, ConfigSource>,
  problems: ConfigProblem[],
): void {
  const c = coerce(def, raw, fromText);
  if (c.ok) {
    values.set(def.key, c.value);
    sources.set(def.key, source);
  } else {
    problems.push({ key: def.key, value: showValue(def, raw), expected: c.expected, source, where });
  }
}

function readFile(keys: KeySet, text: string, where: string, values: Map<string, unknown>, sources: Map<string, ConfigSource>, problems: ConfigProblem[]): void {
  const { parseDocument } = yaml();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const line = e.linePos?.[0]?.line;
      problems.push({
        key: '<yaml>',
        value: showValue(undefined, e.message.split('\n')[0]),
        expected: 'valid YAML',
        source: 'file',
        where: line !== undefined ? `${where}:${line}` : where,
      });
    }
    return;
  }
  const root = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (root === null || root === undefined) return;
  if (typeof root !== 'object' || Array.isArray(root)) {
    problems.push({ key: '<root>', value: showValue(undefined, root), expected: 'a map of config keys', source: 'file', where });
    return;
  }
  const lineOf = (path: string[]): string => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const off = node?.range?.[0];
    if (off === undefined) return where;
    let line = 1;
    for (let i = 0; i < off && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
    return `${where}:${line}`;
  };
  const walk = (obj: Record<string, unknown>, path: string[]): void => {
    for (const [k, v] of Object.entries(obj)) {
      const p = [...path, k];
      const key = p.join('.');
      const def = keys.get(key);
      if (def) {
        apply(def, v, false, 'file', lineOf(p), values, sources, problems);
      } else if (keys.isSection(key) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        walk(v as Record<string, unknown>, p);
      } else if (keys.isSection(key)) {
        problems.push({ key, value: showValue(undefined, v), expected: 'a map (this is a section)', source: 'file', where: lineOf(p) });
      } else {
        problems.push({ key, value: showValue(undefined, v), expected: `a known key${suggest(keys, key)}`, source: 'file', where: lineOf(p) });
      }
    }
  };
  walk(root as Record<string, unknown>, []);
}

/** " (did you mean x.y?)" for a near miss. */
function suggest(keys: KeySet, key: string): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const def of keys.all()) {
    const d = distance(key, def.key);
    if (d < bestD) {
      bestD = d;
      best = def.key;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 5)) ? ` (did you mean ${best}?)` : '';
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.where}: ${p.key}: got ${p.value}, expected ${p.expected}`;
}
