/**
 * Staleness markers for remote write: a series that left the store since the last tick (a scraped series gone from
 * its target, every series of a target that went down, a series swept as stale) is written once more with
 * Prometheus's staleness marker, so the receiver ends it at once instead of after its lookback, as Prometheus does
 * when a series disappears from a scrape.
 *
 * The removals come from the store's change feed (`removedSince`, the removals of a change set without the changed
 * series), so a tick costs what was removed. A series
 * removed and created again before the tick gets no marker (its new value is sent). The first tick and a resync
 * (more removals between two ticks than the store's removal log holds) send none: what went then is not known, and
 * those series end at the receiver's lookback as before.
 */
import { expandDistribution } from '../../formats/expand';
import type { Series, Store } from '../../store/store';
import type { RwSeries } from './protobuf';

export class StaleMarkers {
  readonly #store: Store;
  /** The store generation read up to (-1 before the first read). */
  #generation = -1;
  /** Ticks that could not know what was removed (a resync after the first read). */
  missed = 0;

  constructor(store: Store) {
    this.#store = store;
  }

  /** The markers for what was removed since the previous call, at `nowMs`, expanded as the values were sent. */
  take(nowMs: number, extraLabels: Readonly<Record<string, string>>, filter?: (s: Series) => boolean): RwSeries[] {
    const first = this.#generation < 0;
    const { generation, removed } = this.#store.removedSince(this.#generation);
    this.#generation = generation;
    if (removed === undefined) {
      if (!first) this.missed++;
      return [];
    }
    const out: RwSeries[] = [];
    const hasExtra = Object.keys(extraLabels).length > 0;
    const done = new Set<string>();
    for (const s of removed) {
      const name = s.family.name;
      const id = name + '\u0000' + s.key;
      if (done.has(id) || this.#store.getFamily(name)?.series.has(s.key)) continue;
      done.add(id);
      if (filter && !filter(s)) continue;
      const labels = hasExtra ? { ...extraLabels, ...s.labels } : s.labels;
      if (!s.dist) out.push(marker(name, labels, undefined, nowMs));
      else expandDistribution(s.family.type, s.dist, (suffix, label, value) => out.push(marker(name + suffix, labels, label ? [label, value] : undefined, nowMs)));
    }
    return out;
  }
}

function marker(name: string, labels: Readonly<Record<string, string>>, extra: readonly [string, string] | undefined, ts: number): RwSeries {
  const l: Array<[string, string]> = [['__name__', name]];
  for (const k of Object.keys(labels)) l.push([k, labels[k]!]);
  if (extra) l.push([extra[0], extra[1]]);
  l.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { labels: l, samples: [[NaN, ts]], stale: true };
}
