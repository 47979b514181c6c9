/**
 * What a target's scrapes remember of each series from one scrape to the next, keyed by the series as the target
 * writes it (`name{labels}`, the text on the line before the value): the labels after the target labels and metric
 * relabeling (or that relabeling dropped it), its key for the series limit, and the store handle it is written through.
 * A line whose series text is known costs no label parsing, no relabeling and no store lookup (convert.ts).
 *
 * An entry holds for one family context (name, type, HELP): a body that declares the family differently reads the
 * line afresh. Entries a successful scrape did not see are dropped after it, so the cache holds at most the series
 * of the last body (and never more than `maxEntries`: past it, new series are converted but not remembered).
 */
import type { HeldSample, Series } from '../../store/store';
import type { FamilyDesc, Labels } from '../../store/types';

export interface CachedSeries extends HeldSample {
  /** The family context the entry was made in (the parser's family name, TYPE and HELP). */
  readonly famName: string;
  readonly famType: string | undefined;
  readonly famHelp: string | undefined;
  /** Metric relabeling dropped the series. */
  readonly dropped: boolean;
  /** Family name and label key after relabeling (series_limit, scrape_series_added). */
  readonly key: string;
  /** The scrape that saw it last. */
  stamp: number;
}

export const MAX_CACHED_SERIES = 1_000_000;

export class SeriesCache {
  readonly #entries = new Map<string, CachedSeries>();
  readonly #max: number;
  /** Number of the scrape in progress. */
  stamp = 0;

  constructor(maxEntries = MAX_CACHED_SERIES) {
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(raw: string): CachedSeries | undefined {
    return this.#entries.get(raw);
  }

  /** Remembers a series first seen in this scrape (the key is copied: a slice would keep the whole body alive). */
  add(raw: string, e: { famName: string; famType: string | undefined; famHelp: string | undefined; family: FamilyDesc; labels: Labels; dropped: boolean; key: string }): CachedSeries {
    // One literal with every field, so that every entry has the same shape.
    const entry: CachedSeries = {
      family: e.family,
      labels: e.labels,
      value: 0,
      timestampMs: undefined,
      series: undefined as Series | undefined,
      famName: e.famName,
      famType: e.famType,
      famHelp: e.famHelp,
      dropped: e.dropped,
      key: e.key,
      stamp: this.stamp,
    };
    if (this.#entries.size < this.#max) this.#entries.set(Buffer.from(raw, 'utf8').toString('utf8'), entry);
    return entry;
  }

  /** Drops what the scrape just finished did not see. */
  prune(): void {
    for (const [k, e] of this.#entries) if (e.stamp !== this.stamp) this.#entries.delete(k);
  }

  clear(): void {
    this.#entries.clear();
  }
}
