/** Names and checks the parser shares: the aggregation operators, Go's regular expression spelling, type names. */
import type { LabelMatcher } from '../history/types';
import { signatures } from './signatures';

export const aggregateOps: ReadonlySet<string> = new Set(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group']);

export function typeName(t: string): string {
  return t === 'vector' ? 'instant vector' : t === 'matrix' ? 'range vector' : t;
}

export function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test('');
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test('');
  }
}

/** Go's regexp syntax for named groups, `(?P<name>`, as JavaScript writes it. */
export function goRegex(re: string): string {
  return re.replace(/\(\?P</g, '(?<');
}

const keywords: ReadonlySet<string> = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'start', 'end']);

/** The first call of a function the engine does not know (the grammar reads it as a syntax error). */
export function unknownFunction(text: string): { name: string; pos: number } | undefined {
  const withoutStrings = text.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, (s) => ' '.repeat(s.length));
  for (const m of withoutStrings.matchAll(/\b([a-zA-Z_][a-zA-Z0-9_]*)\s*\(/g)) {
    const name = m[1]!;
    if (!signatures[name] && !aggregateOps.has(name) && !keywords.has(name)) return { name, pos: m.index };
  }
  return undefined;
}
