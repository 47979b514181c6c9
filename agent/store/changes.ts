/**
 * The store's change feed: "what changed since generation N", cheap when little changed.
 *
 * Every change bumps the store's generation and stamps the record with it (`changedGen`). The choice here:
 *
 * - Live series and families sit on two intrusive doubly-linked lists (the links live on the records), ordered by
 *   their last change: a change moves the record to the tail in O(1). "Changed since N" walks back from the tail and
 *   stops at the first record stamped N or older, so it costs the number of changes, never the number of series, and
 *   it has no bound to fall behind: the lists hold each live record once.
 * - A removed series leaves the list, so removals go to a ring of the last `removalLogSize` removals (the record
 *   as it was, with its removal generation). A reader whose N is older than the newest removal the ring has
 *   dropped cannot learn what went; its change set says `resync`: it holds every live series and family, and the
 *   reader drops anything it knows that is not in it (a full scan, once).
 *
 * A change set is taken eagerly (arrays of what changed), so a reader may write to the store while it walks one;
 * what that writes comes in its next change set. Order within a set: the most recent change first.
 */
import type { Family, FamilyRecord, Linked, Series, SeriesRecord } from './records';

export interface ChangeSet {
  /** The generation asked about. */
  readonly since: number;
  /** The store's generation when the set was taken: ask for changes since this next time. */
  readonly generation: number;
  /**
   * The reader's generation was too old (or negative, a first read): `series` and `families` hold everything live,
   * `removed` is empty, and whatever the reader holds that is not listed is gone.
   */
  readonly resync: boolean;
  /** Series created or changed since (still live), most recent change first. */
  readonly series: readonly Series[];
  /** Live families whose series, series set or HELP changed since. */
  readonly families: readonly Family[];
  /**
   * Series removed since (by an owner's snapshot, `remove`, the staleness sweep or an owner dropped), as they were
   * when removed. Their family may be gone too (`family.series` no longer holds them). A series removed and created
   * again since is here (old id) and in `series` (new id): apply removals first.
   */
  readonly removed: readonly Series[];
}

/** A doubly-linked list over records carrying their own links, oldest change first. */
export class ChangeList<T extends Linked<T>> {
  head: T | undefined;
  tail: T | undefined;
  size = 0;

  /** Stamps `rec` with `gen` and moves (or adds) it to the tail. */
  touch(rec: T, gen: number): void {
    rec.changedGen = gen;
    if (this.tail === rec) return;
    if (this.has(rec)) this.unlink(rec);
    rec.prev = this.tail;
    rec.next = undefined;
    if (this.tail) this.tail.next = rec;
    else this.head = rec;
    this.tail = rec;
    this.size++;
  }

  has(rec: T): boolean {
    return rec.prev !== undefined || this.head === rec;
  }

  /** Takes `rec` off the list (a no-op when it is not on it). */
  unlink(rec: T): void {
    if (!this.has(rec)) return;
    if (rec.prev) rec.prev.next = rec.next;
    else this.head = rec.next;
    if (rec.next) rec.next.prev = rec.prev;
    else this.tail = rec.prev;
    rec.prev = rec.next = undefined;
    this.size--;
  }

  /** Records changed after `since` (those `keep` accepts, when given), most recent first. */
  since(since: number, keep?: (rec: T) => boolean): T[] {
    const out: T[] = [];
    for (let r = this.tail; r !== undefined && r.changedGen > since; r = r.prev) if (keep === undefined || keep(r)) out.push(r);
    return out;
  }

  all(keep?: (rec: T) => boolean): T[] {
    const out: T[] = [];
    for (let r = this.tail; r !== undefined; r = r.prev) if (keep === undefined || keep(r)) out.push(r);
    return out;
  }
}

/** The last removals, bounded; remembers the newest removal it had to forget. */
export class RemovalLog {
  readonly #ring: Array<SeriesRecord | undefined>;
  readonly #gens: Float64Array;
  #start = 0;
  #size = 0;
  /** Generation of the newest removal dropped from the ring (readers older than it must resync). */
  floor = 0;

  constructor(capacity: number) {
    const n = Math.max(1, Math.floor(capacity));
    this.#ring = new Array<SeriesRecord | undefined>(n).fill(undefined);
    this.#gens = new Float64Array(n);
  }

  get size(): number {
    return this.#size;
  }

  add(rec: SeriesRecord, gen: number): void {
    const cap = this.#ring.length;
    if (this.#size === cap) {
      this.floor = this.#gens[this.#start]!;
      this.#ring[this.#start] = undefined;
      this.#start = (this.#start + 1) % cap;
      this.#size--;
    }
    const at = (this.#start + this.#size) % cap;
    this.#ring[at] = rec;
    this.#gens[at] = gen;
    this.#size++;
  }

  /** Removals after `since`, most recent first; undefined when the ring no longer covers `since`. */
  since(since: number): SeriesRecord[] | undefined {
    if (since < this.floor) return undefined;
    const out: SeriesRecord[] = [];
    const cap = this.#ring.length;
    for (let i = this.#size - 1; i >= 0; i--) {
      const at = (this.#start + i) % cap;
      if (this.#gens[at]! <= since) break;
      out.push(this.#ring[at]!);
    }
    return out;
  }
}

/**
 * Builds a change set from the store's lists and removal log. With `keep`, the set's series (and removals) are only
 * those it accepts: a reader that follows a few series among many changing ones (the drift monitor's distributions
 * beside a scrape of 100,000 gauges) gets an array of those instead of a copy of every changed series.
 */
export function changeSet(since: number, generation: number, series: ChangeList<SeriesRecord>, families: ChangeList<FamilyRecord>, removals: RemovalLog, keep?: (s: Series) => boolean): ChangeSet {
  const removed = since < 0 ? undefined : removals.since(since);
  if (removed === undefined) return { since, generation, resync: true, series: series.all(keep), families: families.all(), removed: [] };
  if (since >= generation) return { since, generation, resync: false, series: [], families: [], removed: [] };
  return { since, generation, resync: false, series: series.since(since, keep), families: families.since(since), removed: keep === undefined ? removed : removed.filter(keep) };
}

/** A reader's cursor on the feed: each `next()` answers what changed since the previous one (all on the first). */
export class ChangeReader {
  readonly #take: (since: number) => ChangeSet;
  #generation = -1;

  constructor(take: (since: number) => ChangeSet) {
    this.#take = take;
  }

  /** The generation the next change set starts from (-1 before the first). */
  get generation(): number {
    return this.#generation;
  }

  next(): ChangeSet {
    const cs = this.#take(this.#generation);
    this.#generation = cs.generation;
    return cs;
  }

  /** Forgets the position: the next change set is a resync. */
  reset(): void {
    this.#generation = -1;
  }
}
