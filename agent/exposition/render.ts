/**
 * The endpoint's side of the exposition formats (written by agent/formats/render): a whole store rendered with
 * families sorted by name, and the format a scrape's Accept header asks for.
 */
import { Format, renderFamilies } from '../formats/render';
import type { Store } from '../store/store';

export { contentTypes } from '../formats/render';
export type { Format } from '../formats/render';
export { formatValue } from '../formats/value';

/** Renders the whole store, families sorted by name (the render cache does the same from the change feed). */
export function render(store: Store, format: Format): string {
  return renderFamilies(
    [...store.families()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    format,
  );
}

/** Picks the format from an Accept header (OpenMetrics only when asked for). */
export function negotiate(accept: string | undefined): Format {
  if (!accept) return 'text';
  for (const part of accept.split(',')) {
    const [type, ...params] = part
      .trim()
      .split(';')
      .map((p) => p.trim());
    if (type !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    const version = params.find((p) => p.startsWith('version='))?.slice(8);
    if (version === undefined || version === '1.0.0' || version === '0.0.1') return 'openmetrics';
  }
  return 'text';
}
