/**
 * The history's live series by the round their open chunk fills. A series appended every round fills a chunk every
 * `size` rounds, always on the same round modulo `size`, so one slot per residue holds it while it stays live; a
 * round seals the chunks of its slot's series that were not appended since (they repeat their last value).
 */
export class FillWheel<T> {
  readonly #slots: Set<T>[];

  constructor(size: number) {
    this.#slots = Array.from({ length: Math.max(1, size) }, () => new Set<T>());
  }

  /** Puts `x`, whose open chunk fills on round `fillRound` (and every `size` rounds after), on its slot. */
  add(x: T, fillRound: number): number {
    const slot = fillRound % this.#slots.length;
    this.#slots[slot]!.add(x);
    return slot;
  }

  delete(x: T, slot: number): void {
    this.#slots[slot]?.delete(x);
  }

  /** The series whose chunk fills on round `round`. */
  at(round: number): ReadonlySet<T> {
    const n = this.#slots.length;
    return this.#slots[((round % n) + n) % n]!;
  }
}
