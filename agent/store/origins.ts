/**
 * The store's time epoch and its series' origins. A record keeps its last update as ms since the epoch, a small
 * integer stored in the record, where a time since 1970 would be a 16-byte heap number of its own; the record reads
 * the epoch through its origin, one object per (source, restart flag) shared by the series of that source. The store
 * moves the epoch (`rebase`, from its sweep) before the difference outgrows a small integer.
 */
import type { SeriesOrigin, SeriesRecord } from './records';

/**
 * How far the clock may move past the epoch before the store moves it: a record's update time stays within a small
 * integer (2^30, about 12 days, with room for what the store held before the move).
 */
export const REBASE_AFTER_MS = 2 ** 29;

export class Origins {
  /** Records count their last update in ms from this. */
  epochMs: number;
  readonly #plain = new Map<string, SeriesOrigin>();
  readonly #restarting = new Map<string, SeriesOrigin>();

  constructor(epochMs: number) {
    this.epochMs = epochMs;
  }

  /** The origin of a series of `source` for the current epoch. */
  get(source: string, restarts: boolean): SeriesOrigin {
    const m = restarts ? this.#restarting : this.#plain;
    let o = m.get(source);
    if (o === undefined) m.set(source, (o = { source, restarts, epochMs: this.epochMs }));
    return o;
  }

  /**
   * `ms - epochMs` as a small integer where it is one: a difference of two times is a heap number even when whole,
   * and a record field once given one is kept boxed for every record. Any other difference is kept as it is (exact).
   */
  since(ms: number): number {
    const d = ms - this.epochMs;
    const i = d | 0;
    return i === d ? i : d;
  }

  /**
   * Moves the epoch to `nowMs`: every live record's update time is counted from there and takes the new epoch's
   * origin (a removed record keeps its old origin, so its `updatedMs` still reads as it was).
   */
  rebase(nowMs: number, live: Iterable<SeriesRecord>): void {
    const old = this.epochMs;
    this.epochMs = nowMs;
    this.#plain.clear();
    this.#restarting.clear();
    for (const s of live) {
      const d = s.updatedAt + old - nowMs;
      const i = d | 0;
      s.updatedAt = i === d ? i : d;
      s.origin = this.get(s.origin.source, s.origin.restarts);
    }
  }
}
