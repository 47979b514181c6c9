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
 * an older value (counted again likewise); after an agent restart the previous epoch's baseline is gone. A series
 * that left the store is handed over until the batcher forgets it (every batch that could carry it settled): it is
 * not sent again, so a new owner has nothing of it to count.
 */
import type { DistValue } from '../wire/payload';
import type { BatchContent, SeriesEntry } from './batcher';

export interface Handover {
  seq: number;
  /** Flat [sid, value, ...]. */
  scalars: number[];
  dists: DistValue[];
}

export class AckedValues {
  readonly #maxPendingItems: number;
  /** The series entries an acknowledgement wrote to (the batcher's: a series it forgot is not handed over). */
  readonly #entries: () => Iterable<SeriesEntry>;
  #epoch = 0;
  /** Batches sent and not yet acknowledged, by sequence (insertion order is sequence order). */
  readonly #pending = new Map<number, BatchContent>();
  #pendingItems = 0;
  #highSeq = 0;
  /** Batches forgotten because of the bound. */
  forgotten = 0;

  constructor(entries: () => Iterable<SeriesEntry>, maxPendingItems = 1_000_000) {
    this.#entries = entries;
    this.#maxPendingItems = maxPendingItems;
  }

  /** A batch of `epoch` was formed with these values (a new epoch starts afresh). */
  sent(epoch: number, seq: number, batch: BatchContent): void {
    if (epoch !== this.#epoch) {
      this.#epoch = epoch;
      this.#pending.clear();
      this.#pendingItems = 0;
      this.#highSeq = 0;
      for (const e of this.#entries()) {
        e.ackSeq = 0;
        e.ackDist = undefined;
      }
    }
    this.#pending.set(seq, batch);
    this.#pendingItems += batch.entries.length;
    for (const [s, b] of this.#pending) {
      if (this.#pendingItems <= this.#maxPendingItems) break;
      this.#pending.delete(s);
      this.#pendingItems -= b.entries.length;
      this.forgotten++;
    }
  }

  /**
   * An aggregator acknowledged batch (epoch, seq): its values become their series' baseline unless a later batch's
   * acknowledgement came first. Written into each sample's series entry (no lookup, nothing kept per sample).
   */
  acked(epoch: number, seq: number): void {
    if (epoch !== this.#epoch) return;
    const batch = this.#pending.get(seq);
    if (!batch) return;
    this.#pending.delete(seq);
    const { entries, values, dists } = batch;
    this.#pendingItems -= entries.length;
    if (seq > this.#highSeq) this.#highSeq = seq;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.ackSeq >= seq) continue;
      e.ackSeq = seq;
      e.ackValue = values[i]!;
      e.ackDist = dists?.[i];
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
    for (const e of this.#entries()) {
      if (e.ackSeq === 0) continue;
      if (e.ackDist) dists.push({ ...e.ackDist, quantiles: null, sketch: null });
      else scalars.push(e.def.sid, e.ackValue);
    }
    return { seq: this.#highSeq, scalars, dists };
  }
}
