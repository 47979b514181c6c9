/**
 * The delivery queue: records in write order, each held in memory while the memory budget allows and in the spool
 * (the durable tier) when there is one. Past the budget a spooled record keeps only its index entry and is read back
 * when sent; without a spool the full-queue policy applies (drop_oldest evicts the oldest record, stop_accepting
 * refuses the new one, both counted). It also follows which store generation is durable: everything up to the last
 * synced append, or everything whose records are all settled.
 */
import type { Logger } from 'pino';
import { FRAME_HEADER_BYTES } from '../../wire/frame';
import { follows } from '../spool/runs';
import { directSegmentIO, fsSegmentIO } from '../spool/segment-io';
import { FullPolicy, RecordRef, Spool } from '../spool/spool';
import type { DurableMark } from '../../core/durability';
import type { QueuedItem, RuntimeHooks } from './output';

export interface SpoolSettings {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  policy: FullPolicy;
  syncIntervalMs: number;
  writeThrough: boolean;
  directIo?: boolean;
}

export interface QueueOptions {
  /** Bytes of records held in memory (queued and in flight). */
  maxMemoryBytes: number;
  /** Most records held in memory (default unbounded by count). */
  maxMemoryItems?: number;
  /** What a full memory-only queue does (no spool, or the spool failed). */
  policy: FullPolicy;
  spool: SpoolSettings | undefined;
  log: Logger;
  hooks: RuntimeHooks;
  mark: DurableMark;
}

export class DeliveryQueue {
  readonly #opts: QueueOptions;
  readonly #hooks: RuntimeHooks;
  #items: QueuedItem[] = [];
  #head = 0;
  #pending = 0;
  #memBytes = 0;
  #memItems = 0;
  #spool: Spool | undefined;
  #spoolError: string | undefined;
  #spoolDroppedSeen = 0;
  #appendedGen = 0;
  #syncedGen = -1;
  #dropped = 0;
  /** Records appended so far, and how many of them a flush has put on disk (staged I/O writes only at a flush). */
  #appends = 0;
  #onDisk = 0;

  constructor(opts: QueueOptions) {
    this.#opts = opts;
    this.#hooks = opts.hooks;
  }

  get spool(): Spool | undefined {
    return this.#spool;
  }

  /** Why the configured spool is not in use, or undefined when it is (or none is configured). */
  get spoolError(): string | undefined {
    return this.#spoolError;
  }

  /** Records not settled yet. */
  get pending(): number {
    return this.#pending;
  }

  /** Bytes waiting: on disk with a spool, else in memory. */
  get backlogBytes(): number {
    return this.#spool?.bytes ?? this.#memBytes;
  }

  get droppedTotal(): number {
    return this.#dropped;
  }

  /** The oldest record not settled yet (queued or in flight), or undefined when none is pending. */
  get oldest(): QueuedItem | undefined {
    return this.#firstPending();
  }

  /**
   * Opens the spool (when configured) and queues its unacknowledged records for replay. Returns the highest epoch
   * spooled (0 when none). A spool that cannot be opened leaves the queue memory-only, logged and counted.
   */
  open(): { records: number; maxEpoch: number } {
    const sp = this.#opts.spool;
    if (!sp) return { records: 0, maxEpoch: 0 };
    const spool = new Spool({
      dir: sp.dir,
      maxBytes: sp.maxBytes,
      segmentBytes: sp.segmentBytes,
      policy: sp.policy,
      writeThrough: sp.writeThrough,
      maxRecordBytes: Math.min(sp.segmentBytes, 64 * 1024 * 1024 + FRAME_HEADER_BYTES),
      io: sp.directIo ? directSegmentIO : fsSegmentIO,
    });
    try {
      const { records, maxEpoch } = spool.open();
      for (const ref of records) this.#items.push({ epoch: ref.epoch, seq: ref.seq, ref, data: undefined, state: 'queued', single: false, prevGen: -1, n: 0 });
      this.#pending += records.length;
      if (spool.stats.tornRecords) this.#hooks.spoolCorrupt('torn', spool.stats.tornRecords);
      if (spool.stats.corruptRecords) this.#hooks.spoolCorrupt('corrupt', spool.stats.corruptRecords);
      if (records.length || spool.stats.tornRecords || spool.stats.corruptRecords) {
        this.#opts.log.info(
          { dir: sp.dir, batches: records.length, bytes: spool.bytes, torn: spool.stats.tornRecords, corrupt: spool.stats.corruptRecords },
          'Spool opened; replaying unacknowledged batches.',
        );
      }
      this.#spool = spool;
      return { records: records.length, maxEpoch };
    } catch (err) {
      this.#spoolError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.#hooks.spoolError();
      this.#opts.log.error({ dir: sp.dir, err: this.#spoolError }, 'The spool directory cannot be used; batches are held in memory only and lost on a crash.');
      return { records: 0, maxEpoch: 0 };
    }
  }

  /** Whether a record of `len` bytes would open a new spool segment. */
  wouldRotate(len: number): boolean {
    return this.#spool?.wouldRotate(len) ?? false;
  }

  /** Appends one framed record (spool first, then memory as the budget allows). False when it was dropped. */
  async append(frame: Buffer, epoch: number, seq: number, formedMs?: number): Promise<boolean> {
    const sp = this.#opts.spool;
    if (sp && frame.length > sp.segmentBytes) return this.drop('too_large', `batch of ${frame.length} bytes exceeds spool.segment_size`);
    const spool = this.#spool;
    let ref: RecordRef | undefined;
    if (spool) {
      const r = await spool.append(frame, epoch, seq);
      if (r.ok) {
        ref = r.ref;
        if (this.#spoolError) this.#opts.log.info({ dir: spool.dir }, 'The spool accepts writes again.');
        this.#spoolError = undefined;
      } else if (r.reason === 'full') {
        this.#countSpoolDrops();
        return this.drop('spool_full', 'the spool is full (spool.full_policy stop_accepting)');
      } else {
        if (!this.#spoolError) this.#opts.log.error({ dir: spool.dir, err: r.error }, 'Cannot write to the spool; batches are held in memory only until it works again.');
        this.#spoolError = r.error ?? 'write failed';
        this.#hooks.spoolError();
      }
      this.#countSpoolDrops();
    }
    let data: Buffer | undefined;
    if (this.#fits(frame.length)) data = frame;
    else if (!ref) {
      // Memory only (no spool, or the spool failed) and the budget is spent: apply the policy.
      if (this.#opts.policy === 'stop_accepting') return this.drop('memory_full', 'the in-memory queue is full');
      this.#evictOldest(frame.length);
      if (!this.#fits(frame.length)) return this.drop('memory_full', 'the in-memory queue is full');
      data = frame;
    }
    if (data) {
      this.#memBytes += data.length;
      this.#memItems++;
    }
    const n = ++this.#appends;
    if (ref && !spool!.io.staged) this.#onDisk = n;
    this.#items.push({ epoch, seq, ref, data, state: 'queued', single: false, prevGen: this.#appendedGen, n, ...(formedMs !== undefined ? { formedMs } : {}) });
    this.#pending++;
    return true;
  }

  /** Everything the store held up to `gen` is now in the queue. */
  appended(gen: number): void {
    this.#appendedGen = gen;
    this.advanceDurable();
  }

  /** Syncs the spool; what was appended before is durable when it succeeds. */
  async sync(): Promise<void> {
    const spool = this.#spool;
    if (!spool) return;
    const gen = this.#appendedGen;
    const n = this.#appends;
    if (await spool.flush()) {
      this.#syncedGen = Math.max(this.#syncedGen, gen);
      this.#onDisk = Math.max(this.#onDisk, n);
    } else this.#hooks.spoolError();
    this.advanceDurable();
  }

  /** Moves the durability mark to what is synced or settled. */
  advanceDurable(): void {
    let byAck = this.#appendedGen;
    const first = this.#firstPending();
    if (first) byAck = first.prevGen;
    this.#opts.mark.advance(Math.max(this.#syncedGen, byAck));
  }

  /** The oldest queued record, or undefined; records whose segment drop_oldest deleted are finished on the way. */
  next(): QueuedItem | undefined {
    const q = this.#items;
    this.#skipDone();
    for (let i = this.#head; i < q.length; i++) {
      const e = q[i]!;
      if (e.state !== 'queued') continue;
      if (e.ref?.segment.deleted) {
        this.finish(e);
        continue;
      }
      return e;
    }
    return undefined;
  }

  /** Whether the record's bytes are in its spool segment now (so it can go from the file). */
  onDisk(e: QueuedItem): boolean {
    return e.ref !== undefined && e.n <= this.#onDisk;
  }

  /**
   * `e` and the queued records right after it that are in the spool and follow it in its segment (same epoch), up to
   * `maxBytes` and `maxItems`: a backlog replayed as a few large transfers instead of one request per record. Records
   * still held in memory join a run too once they are on disk: a backlog the live agent built during an outage goes
   * out as fast as the one a restart finds in the spool.
   */
  run(e: QueuedItem, maxBytes: number, minBytes: number, maxItems: number): QueuedItem[] {
    const run = [e];
    if (e.single || !e.ref || !this.onDisk(e)) return run;
    let bytes = e.ref.length;
    const q = this.#items;
    for (let i = q.indexOf(e, this.#head) + 1; i > 0 && i < q.length && run.length < maxItems; i++) {
      const n = q[i]!;
      const prev = run.at(-1)!.ref!;
      if (n.state !== 'queued' || n.single || !n.ref || !this.onDisk(n) || n.ref.segment.deleted || !follows(prev, n.ref) || bytes + n.ref.length > maxBytes) break;
      run.push(n);
      bytes += n.ref.length;
    }
    return run.length > 1 && bytes >= minBytes ? run : [e];
  }

  /** The record's bytes: from memory, else read back from the spool (throws when it cannot be read). */
  read(e: QueuedItem): Buffer {
    if (e.data) return e.data;
    if (!e.ref || !this.#spool) throw new Error('the record is neither in memory nor in the spool');
    return this.#spool.read(e.ref);
  }

  /** Settles a record: it leaves memory and is acknowledged in the spool. */
  finish(e: QueuedItem): void {
    if (e.state === 'done') return;
    this.#pending--;
    e.state = 'done';
    if (e.ref) this.#spool?.ack(e.ref);
    if (e.data) {
      this.#memBytes -= e.data.length;
      this.#memItems--;
    }
    e.data = undefined;
  }

  /** Settles a record the receiver refused for good, keeping a spooled copy in the quarantine directory. */
  quarantine(e: QueuedItem, reason: string): void {
    if (e.ref) this.#spool?.quarantine(e.ref, reason);
    this.finish(e);
  }

  /** Counts a lost record; returns false so callers can `return this.drop(...)`. */
  drop(reason: string, detail: string, n = 1): false {
    this.#dropped += n;
    this.#hooks.dropped(reason, n, detail);
    return false;
  }

  async close(): Promise<void> {
    await this.#spool?.close();
  }

  #fits(len: number): boolean {
    return this.#memBytes + len <= this.#opts.maxMemoryBytes && this.#memItems < (this.#opts.maxMemoryItems ?? Infinity);
  }

  #evictOldest(need: number): void {
    for (const e of this.#items) {
      if (this.#fits(need)) break;
      if (e.state !== 'queued' || e.ref || !e.data) continue;
      this.finish(e);
      this.drop('memory_full', 'oldest in-memory batch evicted');
    }
  }

  #countSpoolDrops(): void {
    const spool = this.#spool;
    if (!spool) return;
    const n = spool.stats.droppedOldest - this.#spoolDroppedSeen;
    if (n > 0) {
      this.#spoolDroppedSeen = spool.stats.droppedOldest;
      this.drop('spool_dropped_oldest', 'the spool is full (spool.full_policy drop_oldest)', n);
      this.#opts.log.warn({ batches: n }, 'The spool is full; the oldest unsent batches were deleted (spool.full_policy drop_oldest).');
    }
  }

  #skipDone(): void {
    const q = this.#items;
    while (this.#head < q.length && q[this.#head]!.state === 'done') this.#head++;
    // Compact now and then, not on every acknowledgement (a long replay would make that quadratic).
    if (this.#head > 1024 && this.#head * 2 > q.length) {
      q.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #firstPending(): QueuedItem | undefined {
    this.#skipDone();
    return this.#items[this.#head];
  }
}
