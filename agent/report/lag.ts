/**
 * Delivery lag: the age of the oldest batch the aggregator has not acknowledged yet, from when it was formed (its
 * samples are at least that old when they arrive), 0 when nothing is pending. A batch formed by this process carries
 * its time in the queue; a batch found in the spool at start has its time read once from its payload (`sentMs`,
 * the time it was formed), so a backlog left by an earlier process shows its true age.
 */
import { decompressSync } from '../wire/codec';
import { FRAME_HEADER_BYTES, parseHeader } from '../wire/frame';
import { decodePayload } from '../wire/payload';
import type { QueuedItem } from './runtime/output';

/** Largest decoded payload read back for its time (a batch is far smaller; the frame limit is 64 MiB compressed). */
const MAX_DECODED_BYTES = 256 * 1024 * 1024;

export class DeliveryLag {
  readonly #oldest: () => QueuedItem | undefined;
  readonly #read: (e: QueuedItem) => Buffer;
  readonly #sinceMs: number;
  /** The last item whose time was read from its payload (the head changes one record at a time). */
  #cached: { item: QueuedItem; ms: number } | undefined;

  /**
   * `oldest` gives the oldest pending record, `read` its bytes; `sinceMs` stands in for a spooled record whose time
   * cannot be read (a lower bound of its age: it was pending at least since the queue opened).
   */
  constructor(oldest: () => QueuedItem | undefined, read: (e: QueuedItem) => Buffer, sinceMs = Date.now()) {
    this.#oldest = oldest;
    this.#read = read;
    this.#sinceMs = sinceMs;
  }

  /** Seconds since the oldest pending record was formed; 0 when none is pending. */
  seconds(nowMs = Date.now()): number {
    const e = this.#oldest();
    if (!e) {
      this.#cached = undefined;
      return 0;
    }
    return Math.max(0, (nowMs - this.#formedMs(e)) / 1000);
  }

  #formedMs(e: QueuedItem): number {
    if (e.formedMs !== undefined) return e.formedMs;
    if (this.#cached?.item === e) return this.#cached.ms;
    const ms = formedAt(e, this.#read) ?? this.#sinceMs;
    this.#cached = { item: e, ms };
    return ms;
  }
}

/** The `sentMs` of a framed batch (when it was formed), or undefined when it cannot be read or is not a batch. */
function formedAt(e: QueuedItem, read: (e: QueuedItem) => Buffer): number | undefined {
  try {
    const frame = read(e);
    const h = parseHeader(frame);
    if (!h.ok) return undefined;
    const raw = decompressSync(h.header.codec, frame.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + h.header.length), MAX_DECODED_BYTES);
    return decodePayload(raw).sentMs;
  } catch {
    return undefined;
  }
}
