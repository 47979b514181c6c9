import type { Labels } from './types';

/**
 * Canonical key of a label set: names sorted, NUL-separated (NUL cannot appear in a name). Built as one flat string
 * (a join, not a chain of concatenations), since callers keep it for the series' life.
 */
export function labelKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  if (names.length > 1) names.sort();
  const parts: string[] = [];
  for (const n of names) parts.push(n, labels[n]!);
  parts.push(''); // the trailing NUL inside the join: a `+` after it would make a two-piece string
  return parts.join('\u0000');
}

/** Whether a series' labels (`held`, the store's copy) are the same set as a sample's. */
export function sameLabels(held: Labels, given: Labels): boolean {
  let n = 0;
  for (const name in given) {
    if (held[name] !== given[name]) return false;
    n++;
  }
  for (const _name in held) n--; // counts held's names: none left over means the same set
  return n === 0;
}
