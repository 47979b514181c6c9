/**
 * Exposition formats.
 *
 * Prometheus text 0.0.4: `# HELP`, `# TYPE`, one line a sample; counters carry their `_total` name.
 * OpenMetrics 1.0.0: the counter family is named without `_total` and its sample with it, `untyped` becomes
 * `unknown`, HELP also escapes `"`, timestamps are in seconds, and the body ends with `# EOF`.
 * Families are sorted by name and series by label text, so the output is stable and diffable.
 */
import { Family, Series } from '../store/store';
import { Store } from '../store/store';

export type Format = 'text' | 'openmetrics';

export const contentTypes: Record<Format, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Formats a sample value the way Prometheus parsers read it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeHelp(help: string, format: Format): string {
  let out = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  if (format === 'openmetrics') out = out.replace(/"/g, '\\"');
  return out;
}

/** Appends a label to cached label text: `{a="b"}` + le → `{a="b",le="0.5"}`. */
function withLabel(labelText: string, name: string, value: string): string {
  return labelText === '' ? `{${name}="${value}"}` : `${labelText.slice(0, -1)},${name}="${value}"}`;
}

function ts(s: Series, format: Format): string {
  if (s.timestampMs === undefined) return '';
  return ' ' + (format === 'openmetrics' ? formatValue(s.timestampMs / 1000) : String(Math.round(s.timestampMs)));
}

export function renderFamily(fam: Family, format: Format, out: string[]): void {
  if (fam.series.size === 0) return;
  const om = format === 'openmetrics';
  let famName = fam.name;
  let type: string = fam.type;
  if (om && fam.type === 'counter' && famName.endsWith('_total')) famName = famName.slice(0, -6);
  if (om && fam.type === 'untyped') type = 'unknown';
  if (fam.help) out.push(`# HELP ${famName} ${escapeHelp(fam.help, format)}\n`);
  out.push(`# TYPE ${famName} ${type}\n`);
  const series = [...fam.series.values()];
  if (series.length > 1) series.sort((a, b) => (a.labelText < b.labelText ? -1 : a.labelText > b.labelText ? 1 : 0));
  const sampleName = om && fam.type === 'counter' ? famName + '_total' : fam.name;
  for (const s of series) {
    if (fam.type === 'summary' || fam.type === 'histogram') {
      renderDist(fam, s, format, out);
      continue;
    }
    out.push(`${sampleName}${s.labelText} ${formatValue(s.value)}${ts(s, format)}\n`);
  }
}

function renderDist(fam: Family, s: Series, format: Format, out: string[]): void {
  const d = s.dist;
  if (!d) return;
  const t = ts(s, format);
  if (fam.type === 'summary') {
    for (const [q, v] of d.quantiles ?? []) out.push(`${fam.name}${withLabel(s.labelText, 'quantile', formatValue(q))} ${formatValue(v)}${t}\n`);
  } else {
    let sawInf = false;
    for (const [le, c] of d.buckets ?? []) {
      if (le === Infinity) sawInf = true;
      out.push(`${fam.name}_bucket${withLabel(s.labelText, 'le', formatValue(le))} ${formatValue(c)}${t}\n`);
    }
    if (!sawInf) out.push(`${fam.name}_bucket${withLabel(s.labelText, 'le', '+Inf')} ${formatValue(d.count)}${t}\n`);
  }
  out.push(`${fam.name}_sum${s.labelText} ${formatValue(d.sum)}${t}\n`);
  out.push(`${fam.name}_count${s.labelText} ${formatValue(d.count)}${t}\n`);
}

/** Text of one family, kept until the family changes. */
export type FamilyCache = WeakMap<Family, { gen: number; text: string }>;

/**
 * Renders the whole store. With a cache, only families changed since their last render are rendered again: a
 * collection that touches a few families re-renders those, not the whole store.
 */
export function render(store: Store, format: Format, cache?: FamilyCache): string {
  const fams = [...store.families()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const fam of fams) {
    if (!cache) {
      renderFamily(fam, format, out);
      continue;
    }
    let e = cache.get(fam);
    if (!e || e.gen !== fam.changedGen) {
      const parts: string[] = [];
      renderFamily(fam, format, parts);
      e = { gen: fam.changedGen, text: parts.join('') };
      cache.set(fam, e);
    }
    out.push(e.text);
  }
  if (format === 'openmetrics') out.push('# EOF\n');
  return out.join('');
}

/** Picks the format from an Accept header (OpenMetrics only when asked for). */
export function negotiate(accept: string | undefined): Format {
  if (!accept) return 'text';
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';').map((p) => p.trim());
    if (type !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    const version = params.find((p) => p.startsWith('version='))?.slice(8);
    if (version === undefined || version === '1.0.0' || version === '0.0.1') return 'openmetrics';
  }
  return 'text';
}
