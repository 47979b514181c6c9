/**
 * The durability API: a mark that follows the highest store generation an output has made safe (everything up to it
 * acknowledged by the receiver, or appended to the spool and synced), and promises that resolve when a generation
 * gets there. A writer into the store (the push listener's `?wait=durable`) awaits the mark.
 *
 * Marks are kept per store and output name, so a reload that builds a new output on the same store keeps the waiters
 * and the generation already reached.
 */

/** Waiters one mark holds at most; past it a new wait answers "not durable" at once (bounded, never a leak). */
const kMaxWaiters = 10_000;

interface Waiter {
  gen: number;
  done: (durable: boolean) => void;
}

export class DurableMark {
  #gen = -1;
  #waiters: Waiter[] = [];

  /** Highest generation known durable (-1 before the first). */
  get generation(): number {
    return this.#gen;
  }

  /** Moves the mark forward (never back) and resolves the waiters it passes. */
  advance(gen: number): void {
    if (!(gen > this.#gen)) return;
    this.#gen = gen;
    if (this.#waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.gen <= gen) w.done(true);
      else keep.push(w);
    }
    this.#waiters = keep;
  }

  /**
   * Resolves true once everything up to `generation` is durable; false when `timeoutMs` passes first (or too many
   * waits are pending).
   */
  whenDurable(generation: number, timeoutMs = Infinity): Promise<boolean> {
    if (generation <= this.#gen) return Promise.resolve(true);
    if (this.#waiters.length >= kMaxWaiters) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const w: Waiter = {
        gen: generation,
        done: (durable) => {
          clearTimeout(timer);
          resolve(durable);
        },
      };
      this.#waiters.push(w);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const i = this.#waiters.indexOf(w);
          if (i >= 0) this.#waiters.splice(i, 1);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  /** Waits pending now. */
  get waiting(): number {
    return this.#waiters.length;
  }
}

const marks = new WeakMap<object, Map<string, DurableMark>>();

/** The durability mark of the output `name` writing from `store` (made on first use). */
export function durabilityOf(store: object, name: string): DurableMark {
  let byName = marks.get(store);
  if (!byName) marks.set(store, (byName = new Map()));
  let m = byName.get(name);
  if (!m) byName.set(name, (m = new DurableMark()));
  return m;
}
