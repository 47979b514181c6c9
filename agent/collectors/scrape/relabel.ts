/**
 * Relabeling with Prometheus's `relabel_configs` / `metric_relabel_configs` semantics and defaults: source_labels
 * joined by `separator` (";"), a fully anchored `regex` ("(.*)"), `replacement` ("$1"), `target_label`, `modulus`,
 * and the actions replace (default), keep, drop, keepequal, dropequal, labelmap, labeldrop, labelkeep, hashmod,
 * lowercase, uppercase. A rule is checked once (`compileRelabel`); applying a list returns the new label set or
 * undefined when the set is dropped. A label set to "" is removed, as in Prometheus.
 */
import type * as Crypto from 'node:crypto';
import { OutriderError } from '../../core/errors';

export type RelabelAction = 'replace' | 'keep' | 'drop' | 'keepequal' | 'dropequal' | 'labelmap' | 'labeldrop' | 'labelkeep' | 'hashmod' | 'lowercase' | 'uppercase';

const actions = new Set<RelabelAction>(['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'labelmap', 'labeldrop', 'labelkeep', 'hashmod', 'lowercase', 'uppercase']);

export interface RelabelConfig {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
  modulus?: number;
  action?: RelabelAction;
}

export interface RelabelRule {
  readonly action: RelabelAction;
  readonly sources: readonly string[];
  readonly separator: string;
  readonly regex: RegExp;
  readonly target: string;
  readonly replacement: string;
  readonly modulus: number;
}

const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function bad(message: string): never {
  throw new OutriderError('OUTRIDER_ERR_SCRAPE_RELABEL', message);
}

/** Checks one rule and compiles its regex; throws OUTRIDER_ERR_SCRAPE_RELABEL naming what is wrong. */
export function compileRelabel(raw: unknown): RelabelRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('a relabel rule is a mapping');
  const c = raw as RelabelConfig;
  const action = (c.action ?? 'replace').toLowerCase() as RelabelAction;
  if (!actions.has(action)) bad(`unknown relabel action ${JSON.stringify(c.action)}`);
  const sources = c.source_labels ?? [];
  if (!Array.isArray(sources) || !sources.every((s) => typeof s === 'string')) bad('source_labels is a list of label names');
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${c.regex ?? '(.*)'})$`, 's');
  } catch (err) {
    bad(`bad regex ${JSON.stringify(c.regex)}: ${(err as Error).message}`);
  }
  const target = c.target_label ?? '';
  const modulus = c.modulus ?? 0;
  const needsTarget = action === 'replace' || action === 'hashmod' || action === 'lowercase' || action === 'uppercase' || action === 'keepequal' || action === 'dropequal';
  if (needsTarget && target === '') bad(`relabel action ${action} needs target_label`);
  if ((action === 'lowercase' || action === 'uppercase' || action === 'hashmod' || action === 'keepequal' || action === 'dropequal') && !labelNameRe.test(target))
    bad(`bad target_label ${JSON.stringify(target)}`);
  if (action === 'hashmod' && !(Number.isInteger(modulus) && modulus > 0)) bad('hashmod needs a positive integer modulus');
  if ((action === 'keepequal' || action === 'dropequal') && sources.length === 0) bad(`${action} needs source_labels`);
  return { action, sources, separator: c.separator ?? ';', regex, target, replacement: c.replacement ?? '$1', modulus };
}

export function compileRelabels(raw: unknown): RelabelRule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) bad('relabel configs are a list');
  return raw.map(compileRelabel);
}

/** Expands $1, ${1}, $name and ${name} in `template` from a regex match (Go's regexp.Expand, as Prometheus uses). */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(?:\{(\w+)\}|(\w+)|\$)/g, (all, braced: string | undefined, plain: string | undefined) => {
    if (all === '$$') return '$';
    const ref = braced ?? plain!;
    const v = /^\d+$/.test(ref) ? m[Number(ref)] : m.groups?.[ref];
    return v ?? '';
  });
}

// node:crypto loads with the first hashmod rule applied, not at every start.
let crypto: typeof Crypto | undefined;

function hashmod(value: string, modulus: number): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  crypto ??= require('node:crypto') as typeof Crypto;
  const sum = crypto.createHash('md5').update(value).digest();
  // Prometheus takes the low 8 bytes as a big-endian uint64.
  return Number(sum.readBigUInt64BE(8) % BigInt(modulus));
}

/** Applies the rules in order; returns the new labels, or undefined when a rule drops the set. */
export function relabel(labels: Readonly<Record<string, string>>, rules: readonly RelabelRule[]): Record<string, string> | undefined {
  const out: Record<string, string> = { ...labels };
  for (const r of rules) {
    const value = r.sources.map((s) => out[s] ?? '').join(r.separator);
    switch (r.action) {
      case 'drop':
        if (r.regex.test(value)) return undefined;
        break;
      case 'keep':
        if (!r.regex.test(value)) return undefined;
        break;
      case 'keepequal':
        if (value !== (out[r.target] ?? '')) return undefined;
        break;
      case 'dropequal':
        if (value === (out[r.target] ?? '')) return undefined;
        break;
      case 'replace': {
        r.regex.lastIndex = 0;
        const m = r.regex.exec(value);
        if (!m) break;
        const target = expand(r.target, m);
        if (!labelNameRe.test(target)) break;
        const v = expand(r.replacement, m);
        if (v === '') delete out[target];
        else out[target] = v;
        break;
      }
      case 'lowercase':
        if (value === '') delete out[r.target];
        else out[r.target] = value.toLowerCase();
        break;
      case 'uppercase':
        if (value === '') delete out[r.target];
        else out[r.target] = value.toUpperCase();
        break;
      case 'hashmod':
        out[r.target] = String(hashmod(value, r.modulus));
        break;
      case 'labelmap':
        for (const name of Object.keys(out)) {
          const m = r.regex.exec(name);
          if (m) out[expand(r.replacement, m)] = out[name]!;
        }
        break;
      case 'labeldrop':
        for (const name of Object.keys(out)) if (r.regex.test(name)) delete out[name];
        break;
      case 'labelkeep':
        for (const name of Object.keys(out)) if (!r.regex.test(name)) delete out[name];
        break;
    }
  }
  for (const [k, v] of Object.entries(out)) if (v === '') delete out[k];
  return out;
}
