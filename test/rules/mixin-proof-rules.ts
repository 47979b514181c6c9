/**
 * Test copies of published rule files for the node-mixin proof, generated from the checked-in files (which stay
 * the unchanged public ones). Two rewrites, both written down in docs/rules.md ("Proof"):
 *
 * - Time is compressed: every `for:` is divided by `forScale` (120: 1h → 30s, 30m → 15s, 15m → 7.5s, 10m → 5s)
 *   and every range-selector duration (`[6h]`, `[5m]`, a subquery's range and step) by `rangeScale` (15: 6h → 24m,
 *   5m → 20s, 2m → 8s; a rate spans 16 samples, so the sub-second jitter of sample times on a busy host moves it a
 *   few percent, not the 20 % of a 2-sample window), written in milliseconds. Nothing else changes:
 *   thresholds, `predict_linear` horizons (`24*60*60`), labels and annotations are as published.
 * - The `job="node-exporter"` matcher is removed, as for any mixin run on the agent's own series (which carry no
 *   job label). The same copy runs on both sides; Prometheus drops the job and instance labels of what it scrapes.
 */
import { parseDuration } from '../../agent/rules/duration';
import YAML from 'yaml';

export const forScale = 120;
export const rangeScale = 15;

interface RuleSpec {
  expr: string;
  for?: string;
  [k: string]: unknown;
}

/** One Prometheus duration divided by `scale`, in milliseconds (at least 1ms). */
export function shorten(d: string, scale: number): string {
  const ms = parseDuration(d);
  if (ms === undefined) throw new Error(`not a Prometheus duration: ${d}`);
  return `${Math.max(1, Math.round(ms / scale))}ms`;
}

/** Range selectors (`[5m]`) and subqueries (`[1h:5m]`) of an expression with their durations shortened. */
export function shortenRanges(expr: string): string {
  return expr.replace(/\[(\d+[a-z0-9]*)(?::(\d+[a-z0-9]*)?)?\]/g, (all: string, range: string, step: string | undefined) => {
    if (parseDuration(range) === undefined) return all;
    if (all.includes(':')) return `[${shorten(range, rangeScale)}:${step === undefined ? '' : shorten(step, rangeScale)}]`;
    return `[${shorten(range, rangeScale)}]`;
  });
}

/** The expression without its `job="..."` matchers (an emptied selector loses its braces). */
export function dropJobMatcher(expr: string, job: string): string {
  const m = `job="${job}"`;
  const out = expr
    .split(`${m},`)
    .join('')
    .split(`{${m}}`)
    .join('')
    .replace(new RegExp(`,\\s*${m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'g'), '');
  const left = /job\s*[=!]~?\s*"/.exec(out.replace(/\{\s*/g, '{'));
  if (left) throw new Error(`a job matcher is left in: ${out}`);
  return out.replace(/\{\s+/g, '{');
}

/** The rule file text of the test copy of `text` (a Prometheus rule file). */
export function proofCopy(text: string, job = 'node-exporter'): string {
  const doc = YAML.parse(text) as { groups: Array<{ name: string; rules: RuleSpec[] }> };
  for (const g of doc.groups) {
    for (const r of g.rules) {
      r.expr = shortenRanges(dropJobMatcher(r.expr, job));
      if (r.for !== undefined) r.for = shorten(r.for, forScale);
    }
  }
  return YAML.stringify(doc);
}
