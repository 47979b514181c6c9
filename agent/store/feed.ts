/**
 * The store's change feed: the generation every change bumps, the lists of series and families by their last
 * change, the removals, and the subscribers told (once per burst, on a microtask) that the store changed. The store
 * writes into it; readers read it through the store (`changesSince`, `removedSince`, `reader`, `subscribe`).
 */
import { OutriderError } from '../core/errors';
import { ChangeList, ChangeSet, changeSet, RemovalLog } from './changes';
import type { FamilyRecord, Series, SeriesRecord } from './records';

/** Subscribers the store notifies at most (each is a callback held for the store's life until unsubscribed). */
export const MAX_SUBSCRIBERS = 1024;

export class ChangeFeed {
  readonly series = new ChangeList<SeriesRecord>();
  readonly families = new ChangeList<FamilyRecord>();
  readonly #removals: RemovalLog;
  readonly #subscribers = new Set<(generation: number) => void>();
  #notifyQueued = false;
  #generation = 0;

  constructor(removalLogSize: number) {
    this.#removals = new RemovalLog(removalLogSize);
  }

  get generation(): number {
    return this.#generation;
  }

  /** The next generation, its subscribers told on a microtask. */
  bump(): number {
    if (this.#subscribers.size > 0 && !this.#notifyQueued) {
      this.#notifyQueued = true;
      queueMicrotask(() => {
        this.#notifyQueued = false;
        for (const l of [...this.#subscribers]) l(this.#generation);
      });
    }
    return ++this.#generation;
  }

  /** `s` was removed at generation `gen`. */
  removed(s: SeriesRecord, gen: number): void {
    this.#removals.add(s, gen);
  }

  changesSince(since: number, keep?: (s: Series) => boolean): ChangeSet {
    return changeSet(since, this.#generation, this.series, this.families, this.#removals, keep);
  }

  removedSince(since: number): { readonly generation: number; readonly removed: readonly Series[] | undefined } {
    return { generation: this.#generation, removed: since < 0 ? undefined : this.#removals.since(since) };
  }

  subscribe(listener: (generation: number) => void): () => void {
    if (this.#subscribers.size >= MAX_SUBSCRIBERS) throw new OutriderError('OUTRIDER_ERR_STORE_SUBSCRIBERS', `the store takes at most ${MAX_SUBSCRIBERS} subscribers`);
    this.#subscribers.add(listener);
    return () => void this.#subscribers.delete(listener);
  }
}
