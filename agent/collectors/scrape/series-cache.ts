/**
 * What a target's scrapes remember of each series from one scrape to the next, keyed by the series as the target
 * writes it (`name{labels}`, the text on the line before the value): the labels after the target labels and metric
 * relabeling (or that relabeling dropped it), its key for the series limit, and the store handle it is written through.
 * A line whose series text is known costs no label parsing, no relabeling and no store lookup (convert.ts). The
 * entries are kept by a hash of their text that is also the hash of its bytes (formats/byte-hash.ts), so a body read
 * as bytes finds an ASCII series without making a string of it.
 *
 * An entry holds for one family context (name, type, HELP): a body that declares the family differently reads the
 * line afresh. Entries a successful scrape did not see are dropped after it, so the cache holds at most the series
 * of the last body (and never more than `maxEntries`: past it, new series are converted but not remembered).
 */
import { HASH_SEED, hashRange, hashText, sameText } from '../../formats/byte-hash';
import type { HeldSample, Series } from '../../store/store';
import type { FamilyDesc, Labels } from '../../store/types';

export interface CachedSeries extends HeldSample {
  /** The series text (the cache's key). */
  readonly raw: string;
  /** The family context the entry was made in (the parser's family name, TYPE and HELP). */
  readonly famName: string;
  readonly famType: string | undefined;
  readonly famHelp: string | undefined;
  /** Metric relabeling dropped the series. */
  readonly dropped: boolean;
  /** Family name and label key after relabeling, for series_limit (empty when the target has none). */
  readonly key: string;
  /** The scrape that saw it last. */
  stamp: number;
  /** The last successful scrape that saw it. */
  okStamp: number;
  /** hashText of `raw`, and the next entry of the same hash. */
  readonly hash: number;
  next: CachedSeries | undefined;
}

export const MAX_CACHED_SERIES = 1_000_000;

export class SeriesCache {
  /** The entries by the hash of their text, each the head of its chain (`next`). */
  readonly #entries = new Map<number, CachedSeries>();
  #size = 0;
  /** An entry was replaced in this scrape (series-cache `add` of a known text in another family context). */
  #replaced = false;
  readonly #max: number;
  /** Number of the scrape in progress. */
  stamp = 0;
  /** The entries of the last scrape in the order of their lines, and of this one so far: a body that lists its
   * series in the same order as before finds each at its place, with one comparison and no hashing. */
  #last: CachedSeries[] = [];
  #next: CachedSeries[] = [];
  /** Entries of #next written in this scrape. #next is the array of the scrape before last, written over in place
   * and cut to length at the end: two arrays serve every scrape, instead of one grown (and copied) per scrape, whose
   * copies are large enough to go straight to the old generation and stay there until a full collection. */
  #count = 0;
  /** The samples a scrape writes through entries (convert.ts), one array reused by every scrape in the same way. */
  readonly held: CachedSeries[] = [];
  /** The number of the last scrape that succeeded with nothing failed since (0: none). */
  lastOk = 0;

  constructor(maxEntries = MAX_CACHED_SERIES) {
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#size;
  }

  /** The entry of the series `line.slice(0, end)`, or undefined. */
  find(line: string, end: number): CachedSeries | undefined {
    const guess = this.#last[this.#count];
    if (guess !== undefined && guess.raw.length === end && line.startsWith(guess.raw)) return guess;
    let e = this.#entries.get(hashText(HASH_SEED, line, 0, end));
    while (e !== undefined && !(e.raw.length === end && line.startsWith(e.raw))) e = e.next;
    return e;
  }

  /**
   * The entry of the series whose text is the bytes `view[start, end)` (ASCII), or undefined: first the entry at
   * the same place in the last scrape, compared byte by byte, then by the hash of the bytes.
   */
  findBytes(view: DataView, start: number, end: number): CachedSeries | undefined {
    const guess = this.#last[this.#count];
    if (guess !== undefined && sameText(guess.raw, view, start, end)) return guess;
    let e = this.#entries.get(hashRange(HASH_SEED, view, start, end));
    while (e !== undefined && !sameText(e.raw, view, start, end)) e = e.next;
    return e;
  }

  /** Marks an entry `find` gave as seen in this scrape. */
  seen(e: CachedSeries): void {
    e.stamp = this.stamp;
    this.#next[this.#count++] = e;
  }

  /** Starts a scrape. */
  begin(): void {
    this.stamp++;
    this.#replaced = false;
    this.#count = 0;
  }

  /** Remembers a series first seen in this scrape (the key is copied: a slice would keep the whole body alive). */
  add(raw: string, e: { famName: string; famType: string | undefined; famHelp: string | undefined; family: FamilyDesc; labels: Labels; dropped: boolean; key: string }): CachedSeries {
    // One literal with every field, so that every entry has the same shape.
    const key = Buffer.from(raw, 'utf8').toString('utf8');
    const hash = hashText(HASH_SEED, key, 0, key.length);
    const entry: CachedSeries = {
      raw: key,
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
      okStamp: 0,
      hash,
      next: undefined,
    };
    if (this.#size < this.#max) {
      // An entry of the same text (made in another family context) is replaced.
      let head = this.#entries.get(hash);
      if (head !== undefined && head.raw === key) {
        head = head.next;
        this.#size--;
        this.#replaced = true;
      }
      for (let e = head; e?.next !== undefined; e = e.next) {
        if (e.next.raw !== key) continue;
        e.next = e.next.next;
        this.#size--;
        this.#replaced = true;
        break;
      }
      entry.next = head;
      this.#entries.set(hash, entry);
      this.#size++;
      this.#next[this.#count++] = entry;
    }
    return entry;
  }

  /** Whether the series was in the last successful scrape (scrape_series_added). */
  inLastScrape(e: CachedSeries): boolean {
    return this.lastOk > 0 && e.okStamp === this.lastOk;
  }

  /** Ends a successful scrape: drops what it did not see. */
  succeeded(): void {
    const stamp = this.stamp;
    // The entries seen are this scrape's list: when it holds every entry, there is nothing to drop and no need to
    // walk the table (unless an entry was replaced: the list then holds one the table no longer does).
    let seen = 0;
    if (!this.#replaced)
      for (let i = 0; i < this.#count; i++) {
        const e = this.#next[i]!;
        if (e.okStamp === stamp) continue;
        e.okStamp = stamp;
        seen++;
      }
    if (this.#replaced || seen !== this.#size) this.#sweep(stamp);
    this.lastOk = stamp;
    this.#turn();
  }

  /** Drops the entries `stamp` did not see (the others get it as okStamp). */
  #sweep(stamp: number): void {
    this.#entries.forEach((head, h) => {
      // The chain without the entries this scrape did not see, in the same order.
      let first: CachedSeries | undefined;
      let prev: CachedSeries | undefined;
      for (let e: CachedSeries | undefined = head; e !== undefined; e = e.next) {
        if (e.stamp !== stamp) {
          this.#size--;
          continue;
        }
        e.okStamp = stamp;
        if (prev === undefined) first = e;
        else prev.next = e;
        prev = e;
      }
      if (prev !== undefined) prev.next = undefined;
      if (first === undefined) this.#entries.delete(h);
      else if (first !== head) this.#entries.set(h, first);
    });
  }

  /** Ends a failed scrape: no series counts as seen in the last scrape (the target's series left the store). */
  failed(): void {
    this.lastOk = 0;
    this.#turn();
  }

  /** This scrape's entries become the last scrape's; the older array, emptied, takes the next scrape's. */
  #turn(): void {
    const next = this.#next;
    next.length = this.#count;
    this.#next = this.#last;
    this.#next.fill(undefined as unknown as CachedSeries);
    this.#last = next;
    this.#count = 0;
    this.held.fill(undefined as unknown as CachedSeries);
  }

  clear(): void {
    this.#entries.clear();
    this.#size = 0;
    this.#last = [];
    this.#next = [];
    this.#count = 0;
    this.held.length = 0;
  }
}
