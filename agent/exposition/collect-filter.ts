/**
 * node_exporter's `collect[]` and `exclude[]` query parameters on /metrics: a scrape of some collectors only, so one
 * Prometheus can scrape e.g. filesystem every minute and the rest every 15 s. Same semantics and error texts as
 * node_exporter: `collect[]=cpu&collect[]=meminfo` keeps those collectors (each must be a registered, enabled
 * collector, else a 400 naming the "missing" or "disabled collector"); `exclude[]=X` keeps every enabled
 * collector but X (names that match none are ignored); both at once is a 400. A filtered scrape holds the kept
 * collectors' series (by the store's owner of each series) and their node_scrape_collector_* rows, and nothing
 * else: as node_exporter's filtered scrape has only the named collectors, the agent's own telemetry and its StatsD,
 * push and scraped series are left to the unfiltered scrape. Excluding every enabled collector gives an empty scrape
 * (node_exporter then falls back to all collectors).
 */
import { renderFamilies, type Format, type RenderableFamily, type RenderableSeries } from '../formats/render';
import type { Store } from '../store/store';

export interface CollectorSet {
  /** Every registered collector name. */
  known: readonly string[];
  /** The collectors this configuration runs. */
  enabled: ReadonlySet<string>;
}

export type CollectSelection = { kind: 'all' } | { kind: 'some'; names: ReadonlySet<string> } | { kind: 'error'; message: string };

/** What the query asks for: everything (no parameter), a set of collectors, or a 400 with node_exporter's text. */
export function collectSelection(params: URLSearchParams, collectors: CollectorSet): CollectSelection {
  const collects = params.getAll('collect[]');
  const excludes = params.getAll('exclude[]');
  if (collects.length === 0 && excludes.length === 0) return { kind: 'all' };
  if (collects.length > 0 && excludes.length > 0) return { kind: 'error', message: 'Combined collect and exclude queries are not allowed.' };
  if (excludes.length > 0) return { kind: 'some', names: new Set([...collectors.enabled].filter((c) => !excludes.includes(c))) };
  for (const name of collects) {
    if (!collectors.known.includes(name)) return { kind: 'error', message: `Couldn't create filtered metrics handler: couldn't create collector: missing collector: ${name}` };
    if (!collectors.enabled.has(name)) return { kind: 'error', message: `Couldn't create filtered metrics handler: couldn't create collector: disabled collector: ${name}` };
  }
  return { kind: 'some', names: new Set(collects) };
}

const scrapeFamilies = new Set(['node_scrape_collector_success', 'node_scrape_collector_duration_seconds']);

/** The store rendered with only the series of `names` (families sorted by name, as the unfiltered render). */
export function renderSelected(store: Store, names: ReadonlySet<string>, format: Format): string {
  const out: RenderableFamily[] = [];
  for (const fam of store.families()) {
    const series = new Map<string, RenderableSeries>();
    const perCollector = scrapeFamilies.has(fam.name);
    for (const [key, s] of fam.series) {
      const owner = perCollector ? s.labels.collector : s.owner;
      if (owner !== undefined && names.has(owner)) series.set(key, s);
    }
    if (series.size > 0) out.push({ name: fam.name, help: fam.help, type: fam.type, series });
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return renderFamilies(out, format);
}
