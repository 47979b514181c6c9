/** Label sets and HELP text as the Prometheus text formats write them. */
import type { Labels } from '../store/types';

export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

/**
 * `{a="b",c="d"}` with names sorted; empty string for no labels. One flat string (a join, not a chain of
 * concatenations, which would keep every piece alive), since the store keeps it for the series' life.
 */
export function renderLabels(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  names.sort();
  const parts: string[] = [];
  for (const n of names) parts.push(n + '="' + escapeLabelValue(labels[n]!) + '"');
  parts[0] = '{' + parts[0];
  parts[parts.length - 1] += '}';
  return parts.join(',');
}

/** Appends a label to rendered label text: `{a="b"}` + le → `{a="b",le="0.5"}` (the value is not escaped). */
export function withLabel(labelText: string, name: string, value: string): string {
  return labelText === '' ? `{${name}="${value}"}` : `${labelText.slice(0, -1)},${name}="${value}"}`;
}

/** HELP text: `\` and newline escaped; OpenMetrics also escapes `"`. */
export function escapeHelp(help: string, openMetrics: boolean): string {
  let out = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  if (openMetrics) out = out.replace(/"/g, '\\"');
  return out;
}
