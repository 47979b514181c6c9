/**
 * What the aggregators acknowledged, so a new owner can start where the last one stopped. For the batches of the
 * current epoch still waiting for an answer the tracker keeps their values (bounded: at most `maxPendingItems`
 * values, the oldest batches forgotten first); when a batch is acknowledged (by any aggregator) its values become
 * the baseline of their series. When the agent moves to another aggregator it first sends that aggregator a
 * handover: a definitions frame (kind 2) whose meta carries `handover: {seq, scalars, dists}`, the highest
 * acknowledged sequence and the latest acknowledged cumulative value of every series. The aggregator takes those
 * values as the series' last values without counting them, so it counts only what comes after.
 *
 * Not covered: batches an aggregator applied but never acknowledged (it stalled or died before answering) are
 * counted again by the next one; batches forgotten because the bound was reached leave their series' baseline at
 * an older value (counted again likewise); after an agent restart the previous epoch's baseline is gone.
 */
import type { DistValue } from '../wire/payload';
import type { Item } from './batcher';

export interface Handover {
  seq: number;
  /** Flat [sid, value, ...]. */
  scalars: number[];
  dists: DistValue[];
}

export class AckedValues {
  readonly #maxPendingItems: number;
  #epoch = 0;
  /** Batches sent and not yet acknowledged, by sequence (insertion order is sequence order). */
  readonly #pending = new Map<number, Item[]>();
  #pendingItems = 0;
  /** Per series: the acknowledged batch it was last in, and its value there. */
  readonly #acked = new Map<number, { seq: number; item: Item }>();
  #highSeq = 0;
  /** Batches forgotten because of the bound. */
  forgotten = 0;

  constructor(maxPendingItems = 1_000_000) {
    this.#maxPendingItems = maxPendingItems;
  }

  /** A batch of `epoch` was formed with these values (a new epoch starts afresh). */
  sent(epoch: number, seq: number, items: Item[]): void {
    if (epoch !== this.#epoch) {
      this.#epoch = epoch;
      this.#pending.clear();
      this.#pendingItems = 0;
      this.#acked.clear();
      this.#highSeq = 0;
    }
    this.#pending.set(seq, items);
    this.#pendingItems += items.length;
    for (const [s, its] of this.#pending) {
      if (this.#pendingItems <= this.#maxPendingItems) break;
      this.#pending.delete(s);
      this.#pendingItems -= its.length;
      this.forgotten++;
    }
  }

  /** An aggregator acknowledged batch (epoch, seq). */
  acked(epoch: number, seq: number): void {
    if (epoch !== this.#epoch) return;
    const items = this.#pending.get(seq);
    if (!items) return;
    this.#pending.delete(seq);
    this.#pendingItems -= items.length;
    if (seq > this.#highSeq) this.#highSeq = seq;
    for (const it of items) {
      const prev = this.#acked.get(it.sid);
      if (!prev || prev.seq < seq) this.#acked.set(it.sid, { seq, item: it });
    }
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** The handover for a new owner: undefined while nothing of this epoch was acknowledged. */
  handover(): Handover | undefined {
    if (this.#highSeq === 0) return undefined;
    const scalars: number[] = [];
    const dists: DistValue[] = [];
    for (const { item } of this.#acked.values()) {
      if (item.dist) dists.push({ ...item.dist, quantiles: null, sketch: null });
      else scalars.push(item.sid, item.value);
    }
    return { seq: this.#highSeq, scalars, dists };
  }
}
