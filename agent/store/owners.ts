/**
 * Which series each owner wrote through its snapshots (`Store.replaceOwned`): the store removes those an owner's
 * next snapshot omits, and all of an owner's series when the owner goes (`Store.dropOwner`).
 */
import type { SeriesRecord } from './records';

export class OwnerSets {
  readonly #owned = new Map<string, Set<SeriesRecord>>();
  readonly #order = new Map<string, Array<SeriesRecord | undefined>>();

  /** The series `owner` holds (undefined when none). */
  get(owner: string): ReadonlySet<SeriesRecord> | undefined {
    return this.#owned.get(owner);
  }

  /**
   * The series `owner`'s last snapshot wrote through its samples, by the sample's position in it (undefined where a
   * sample was refused): the store's guess for the same position in the next snapshot.
   */
  order(owner: string): Array<SeriesRecord | undefined> {
    let o = this.#order.get(owner);
    if (!o) this.#order.set(owner, (o = []));
    return o;
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
    this.#order.delete(owner);
  }
}
