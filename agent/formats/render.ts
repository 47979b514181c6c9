/**
 * Writing the Prometheus exposition formats.
 *
 * Prometheus text 0.0.4: `# HELP`, `# TYPE`, one line a sample; counters carry their `_total` name.
 * OpenMetrics 1.0.0: the counter family is named without `_total` and its sample with it, `untyped` becomes
 * `unknown`, HELP also escapes `"`, timestamps are in seconds, and the body ends with `# EOF`.
 * Series are sorted by label text, so the output is stable and diffable (families are ordered by the caller).
 *
 * `FamilyWriter` writes one family's header and one series' lines at a time: the render cache
 * (agent/exposition/family-bytes.ts) keeps each series' bytes and writes again only the series that changed, and
 * `renderFamily` writes a whole family through the same writer, so both give the same text.
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

/** The order of series in a family: by label text (label sets are unique in a family, so the order is total). */
export function compareSeries(a: RenderableSeries, b: RenderableSeries): number {
  return a.labelText < b.labelText ? -1 : a.labelText > b.labelText ? 1 : 0;
}

/** One family's text in one format: its `# HELP`/`# TYPE` header, and the lines of any of its series. */
export class FamilyWriter {
  /** `# HELP` (when the family has one) and `# TYPE` lines. */
  readonly head: string;
  readonly #desc: Readonly<FamilyDesc>;
  readonly #sampleName: string;
  readonly #dists: boolean;
  readonly #om: boolean;

  constructor(fam: Readonly<FamilyDesc>, format: Format) {
    const om = format === 'openmetrics';
    let famName = fam.name;
    let type: string = fam.type;
    if (om && fam.type === 'counter' && famName.endsWith('_total')) famName = famName.slice(0, -6);
    if (om && fam.type === 'untyped') type = 'unknown';
    this.head = (fam.help ? `# HELP ${famName} ${escapeHelp(fam.help, om)}\n` : '') + `# TYPE ${famName} ${type}\n`;
    this.#desc = fam;
    this.#sampleName = om && fam.type === 'counter' ? famName + '_total' : fam.name;
    this.#dists = fam.type === 'summary' || fam.type === 'histogram';
    this.#om = om;
  }

  /** The lines of one series, each ending in a newline ('' for a distribution family's series without one). */
  lines(s: RenderableSeries): string {
    const end = s.timestampMs === undefined ? '\n' : this.#timestamp(s.timestampMs) + '\n';
    if (!this.#dists) return this.#sampleName + s.labelText + ' ' + formatValue(s.value) + end;
    if (!s.dist) return '';
    let out = '';
    const name = this.#desc.name;
    expandDistribution(this.#desc.type, s.dist, (suffix, label, labelValue, v) => {
      out += name + suffix + (label ? withLabel(s.labelText, label, labelValue) : s.labelText) + ' ' + formatValue(v) + end;
    });
    return out;
  }

  #timestamp(ms: number): string {
    return ' ' + (this.#om ? formatValue(ms / 1000) : String(Math.round(ms)));
  }
}

/** Appends the text of one family (nothing for a family without series) to `out`. */
export function renderFamily(fam: RenderableFamily, format: Format, out: string[]): void {
  if (fam.series.size === 0) return;
  const w = new FamilyWriter(fam, format);
  out.push(w.head);
  const series = [...fam.series.values()];
  if (series.length > 1) series.sort(compareSeries);
  for (const s of series) out.push(w.lines(s));
}

/** The body for families in the order given (the OpenMetrics body ends with `# EOF`). */
export function renderFamilies(families: Iterable<RenderableFamily>, format: Format): string {
  const out: string[] = [];
  for (const fam of families) renderFamily(fam, format, out);
  if (format === 'openmetrics') out.push('# EOF\n');
  return out.join('');
}
