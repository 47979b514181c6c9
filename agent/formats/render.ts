/**
 * Writing the Prometheus exposition formats.
 *
 * Prometheus text 0.0.4: `# HELP`, `# TYPE`, one line a sample; counters carry their `_total` name.
 * OpenMetrics 1.0.0: the counter family is named without `_total` and its sample with it, `untyped` becomes
 * `unknown`, HELP also escapes `"`, timestamps are in seconds, and the body ends with `# EOF`.
 * Series are sorted by label text, so the output is stable and diffable (families are ordered by the caller).
 */
import type { Distribution, FamilyDesc } from '../store/types';
import { expandDistribution } from './expand';
import { escapeHelp, withLabel } from './labels';
import { formatValue } from './value';

export type Format = 'text' | 'openmetrics';

export const contentTypes: Record<Format, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** What a renderer reads of a series (the store's series satisfy it). */
export interface RenderableSeries {
  readonly value: number;
  readonly dist: Readonly<Distribution> | undefined;
  readonly timestampMs: number | undefined;
  /** `{a="b"}` text of the series' labels (empty for none). */
  readonly labelText: string;
}

export interface RenderableFamily extends Readonly<FamilyDesc> {
  readonly series: ReadonlyMap<string, RenderableSeries>;
}

function ts(s: RenderableSeries, format: Format): string {
  if (s.timestampMs === undefined) return '';
  return ' ' + (format === 'openmetrics' ? formatValue(s.timestampMs / 1000) : String(Math.round(s.timestampMs)));
}

/** Appends the text of one family (nothing for a family without series) to `out`. */
export function renderFamily(fam: RenderableFamily, format: Format, out: string[]): void {
  if (fam.series.size === 0) return;
  const om = format === 'openmetrics';
  let famName = fam.name;
  let type: string = fam.type;
  if (om && fam.type === 'counter' && famName.endsWith('_total')) famName = famName.slice(0, -6);
  if (om && fam.type === 'untyped') type = 'unknown';
  if (fam.help) out.push(`# HELP ${famName} ${escapeHelp(fam.help, om)}\n`);
  out.push(`# TYPE ${famName} ${type}\n`);
  const series = [...fam.series.values()];
  if (series.length > 1) series.sort((a, b) => (a.labelText < b.labelText ? -1 : a.labelText > b.labelText ? 1 : 0));
  const sampleName = om && fam.type === 'counter' ? famName + '_total' : fam.name;
  const dists = fam.type === 'summary' || fam.type === 'histogram';
  for (const s of series) {
    if (!dists) {
      out.push(`${sampleName}${s.labelText} ${formatValue(s.value)}${ts(s, format)}\n`);
      continue;
    }
    if (!s.dist) continue;
    const t = ts(s, format);
    expandDistribution(fam.type, s.dist, (suffix, label, labelValue, v) => {
      out.push(`${fam.name}${suffix}${label ? withLabel(s.labelText, label, labelValue) : s.labelText} ${formatValue(v)}${t}\n`);
    });
  }
}

/** The body for families in the order given (the OpenMetrics body ends with `# EOF`). */
export function renderFamilies(families: Iterable<RenderableFamily>, format: Format): string {
  const out: string[] = [];
  for (const fam of families) renderFamily(fam, format, out);
  if (format === 'openmetrics') out.push('# EOF\n');
  return out.join('');
}
