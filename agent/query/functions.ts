/** Functions over instant vectors and scalars: math, clamping, labels, absent, sort, vector/scalar conversions. */
import { OutriderError } from '../core/errors';
import type { Labels } from '../store/types';
import type { Expr } from './ast';
import { goRegex } from './syntax';
import type { Sample } from './value';
import { dropName, labelsKey, withLabel } from './value';

export const evalErrorCode = 'OUTRIDER_ERR_QUERY_EVAL';

const math1: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  sgn: (v) => (Number.isNaN(v) ? v : Math.sign(v)),
};

export function isMathFn(name: string): boolean {
  return math1[name] !== undefined;
}

export function mapValues(name: string, vec: readonly Sample[]): Sample[] {
  const f = math1[name]!;
  return vec.map((s) => ({ labels: dropName(s.labels), value: f(s.value) }));
}

/** Go's math.Floor(v*toNearestInverse+0.5) / toNearestInverse. */
export function round(vec: readonly Sample[], toNearest: number): Sample[] {
  const inv = 1 / toNearest;
  return vec.map((s) => ({ labels: dropName(s.labels), value: Math.floor(s.value * inv + 0.5) / inv }));
}

export function clamp(vec: readonly Sample[], min: number, max: number): Sample[] {
  if (max < min) return [];
  return vec.map((s) => ({ labels: dropName(s.labels), value: Math.max(min, Math.min(max, s.value)) }));
}

/** Go's math.Max/Min: NaN wins. */
export function clampMin(vec: readonly Sample[], min: number): Sample[] {
  return vec.map((s) => ({ labels: dropName(s.labels), value: Number.isNaN(min) ? NaN : Math.max(min, s.value) }));
}

export function clampMax(vec: readonly Sample[], max: number): Sample[] {
  return vec.map((s) => ({ labels: dropName(s.labels), value: Number.isNaN(max) ? NaN : Math.min(max, s.value) }));
}

/** The labels absent() gives its result: the selector's equality matchers (not `__name__`), each name once. */
export function absentLabels(arg: Expr): Labels {
  const sel = arg.kind === 'vector' ? arg : arg.kind === 'matrix' ? arg.vector : undefined;
  if (!sel) return {};
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const m of sel.matchers) {
    if (m.name === '__name__') continue;
    if (m.type === '=' && !seen.has(m.name)) out[m.name] = m.value;
    else if (m.type === '=' && seen.has(m.name)) delete out[m.name];
    seen.add(m.name);
  }
  return out;
}

/** Go's Regexp.Expand template syntax: $1, ${1}, $name, ${name}, $$. */
function expand(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_all, sign: string, braced?: string, bare?: string) => {
    if (sign === '$') return '$';
    const name = braced ?? bare!;
    if (/^\d+$/.test(name)) return match[Number(name)] ?? '';
    return match.groups?.[name] ?? '';
  });
}

const regexCache = new Map<string, RegExp>();

export function labelReplace(vec: readonly Sample[], dst: string, replacement: string, src: string, regex: string): Sample[] {
  let re = regexCache.get(regex);
  if (!re) {
    re = new RegExp(`^(?:${goRegex(regex)})$`);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(regex, re);
  }
  return vec.map((s) => {
    const m = re.exec(s.labels[src] ?? '');
    if (!m) return s;
    return { labels: withLabel(s.labels, dst, expand(replacement, m)), value: s.value };
  });
}

export function labelJoin(vec: readonly Sample[], dst: string, sep: string, srcs: readonly string[]): Sample[] {
  return vec.map((s) => ({ labels: withLabel(s.labels, dst, srcs.map((n) => s.labels[n] ?? '').join(sep)), value: s.value }));
}

/** Prometheus refuses a result in which two samples have the same label set. */
export function checkUnique(vec: readonly Sample[], what: string): void {
  if (vec.length < 2) return;
  const seen = new Set<string>();
  for (const s of vec) {
    const k = labelsKey(s.labels);
    if (seen.has(k)) throw new OutriderError(evalErrorCode, `${what}: vector cannot contain metrics with the same labelset`);
    seen.add(k);
  }
}
