/**
 * Which series each owner wrote through its snapshots (`Store.replaceOwned`): the store removes those an owner's
 * next snapshot omits, and all of an owner's series when the owner goes (`Store.dropOwner`).
 */
import type { SeriesRecord } from './records';

export class OwnerSets {
  readonly #owned = new Map<string, Set<SeriesRecord>>();

  /** The series `owner` holds (undefined when none). */
  get(owner: string): ReadonlySet<SeriesRecord> | undefined {
    return this.#owned.get(owner);
  }

  /** `s` is now written by `owner` (taken from its previous owner). */
  own(s: SeriesRecord, owner: string): void {
    if (s.owner === owner) return;
    if (s.owner !== undefined) this.#owned.get(s.owner)?.delete(s);
    s.owner = owner;
    this.add(owner, s);
  }

  /** Adds a new series of `owner` (its record already names the owner). */
  add(owner: string, s: SeriesRecord): void {
    let set = this.#owned.get(owner);
    if (!set) {
      set = new Set();
      this.#owned.set(owner, set);
    }
    set.add(s);
  }

  /** `s` left the store. */
  forget(s: SeriesRecord): void {
    if (s.owner !== undefined) this.#owned.get(s.owner)?.delete(s);
  }

  delete(owner: string): void {
    this.#owned.delete(owner);
  }
}
