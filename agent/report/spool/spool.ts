/**
 * The durable spool: every batch the reporter forms is appended here as one framed record (see agent/wire/frame.ts; the
 * record is byte for byte the HTTP request body) before it is sent, and a record leaves only when the aggregator
 * acknowledged it. Layout on disk (docs/spool.md):
 *
 *   <dir>/epoch                 the last agent epoch (decimal), replaced atomically (write tmp, fsync, rename)
 *   <dir>/seg-<16 digits>.orsp  segments, numbered in write order; records appended back to back; a segment never
 *                               grows past `segmentBytes` (a record that does not fit opens the next one)
 *   <dir>/quarantine/           records the aggregator refused permanently (4xx), kept for an operator, bounded
 *
 * Durability: with the `fs` I/O, appends are written at once (the page cache holds them) and fdatasync'd by
 * `flush()` (every `spool.sync_interval`, or before the append returns in write-through mode). With the direct-I/O
 * writer, appends are staged and `flush()` writes them (O_DIRECT) and syncs; the caller flushes before sending. A segment is deleted once every record in it is acknowledged and
 * it is no longer the one being written. On open, every segment is scanned: intact records are queued for replay in
 * order, a torn tail is truncated and counted, a corrupt record is skipped and counted.
 *
 * Bounds: `maxBytes` on disk with a policy when full (drop_oldest deletes the oldest segment and counts its unsent
 * records; stop_accepting refuses the new batch and counts it). In memory, only a small index entry per unsent
 * record is held (the record bytes themselves are cached only while the caller's memory budget allows).
 */
import fs from 'node:fs';
import path from 'node:path';
import { FrameKind } from '../../wire/frame';
import { appendAck, readAcks, removeAcks } from './acks';
import { scanSegment } from './scan';
import { directLogicalLength, fsSegmentIO, SegmentFile, SegmentIO } from './segment-io';
import { syncDir, syncDirAsync } from '../../core/fs-sync';

export type FullPolicy = 'drop_oldest' | 'stop_accepting';

export interface SpoolOptions {
  dir: string;
  segmentBytes: number;
  maxBytes: number;
  policy: FullPolicy;
  writeThrough: boolean;
  maxRecordBytes: number;
  io?: SegmentIO;
  maxQuarantineFiles?: number;
}

export interface RecordRef {
  readonly segment: Segment;
  readonly offset: number;
  readonly length: number;
  readonly epoch: number;
  readonly seq: number;
  readonly kind: FrameKind;
  acked: boolean;
}

export interface Segment {
  readonly id: number;
  readonly path: string;
  size: number;
  records: number;
  acked: number;
  deleted: boolean;
}

export interface SpoolStats {
  /** Records truncated as a torn tail / skipped as corrupt during recovery, since start. */
  tornRecords: number;
  corruptRecords: number;
  /** Unsent records deleted by drop_oldest, and batches refused by stop_accepting. */
  droppedOldest: number;
  refusedFull: number;
  quarantined: number;
  /** Acknowledgement marks that could not be written (those records are replayed after a restart). */
  ackMarkErrors: number;
}

/** A failed append; records deleted by drop_oldest are marked through `segment.deleted` and counted in stats. */
export type AppendResult = { ok: true; ref: RecordRef } | { ok: false; reason: 'full' | 'io'; error?: string };

const segName = (id: number) => `seg-${String(id).padStart(16, '0')}.orsp`;

export class Spool {
  readonly dir: string;
  readonly #opts: SpoolOptions;
  readonly #io: SegmentIO;
  readonly #segments: Segment[] = [];
  #active: SegmentFile | undefined;
  #activeSeg: Segment | undefined;
  #closing: Array<Promise<void>> = [];
  #bytes = 0;
  #unacked = 0;
  #dirty = false;
  #lastError: string | undefined;
  readonly stats: SpoolStats = { tornRecords: 0, corruptRecords: 0, droppedOldest: 0, refusedFull: 0, quarantined: 0, ackMarkErrors: 0 };

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.#opts = opts;
    this.#io = opts.io ?? fsSegmentIO;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Unacknowledged records on disk. */
  get backlog(): number {
    return this.#unacked;
  }

  /** Name of the I/O in use (`fs` or `direct`) and whether appends wait for flush() to reach the disk. */
  get io(): { name: string; staged: boolean } {
    return { name: this.#io.name, staged: this.#io.staged };
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Scans the directory and returns the intact unacknowledged records in write order, plus the highest epoch seen
   * (the caller's new epoch must be above it). Throws when the directory cannot be created or read.
   */
  open(): { records: RecordRef[]; maxEpoch: number } {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const names = fs
      .readdirSync(this.dir)
      .filter((n) => /^seg-\d{16}\.orsp$/.test(n))
      .sort();
    const records: RecordRef[] = [];
    let maxEpoch = readEpochFile(this.dir);
    for (const name of names) {
      const p = path.join(this.dir, name);
      const id = Number(name.slice(4, 20));
      // A direct-I/O segment ends in padding and a trailer giving its logical length: scan only that.
      const logical = directLogicalLength(p);
      const scan = scanSegment(p, this.#opts.maxRecordBytes, logical);
      this.stats.corruptRecords += scan.corrupt;
      if (scan.torn) {
        this.stats.tornRecords++;
        if (logical === undefined) fs.truncateSync(p, scan.goodEnd);
      }
      const seg: Segment = { id, path: p, size: scan.goodEnd, records: 0, acked: 0, deleted: false };
      const acked = readAcks(p);
      for (const r of scan.records) {
        if (r.header.kind !== FrameKind.batch) continue;
        seg.records++;
        maxEpoch = Math.max(maxEpoch, r.header.epoch);
        // Acknowledged before the restart: counted in the segment, not replayed.
        if (acked.has(`${r.header.epoch}:${r.header.seq}`)) seg.acked++;
        else records.push({ segment: seg, offset: r.offset, length: r.length, epoch: r.header.epoch, seq: r.header.seq, kind: r.header.kind, acked: false });
      }
      if (seg.records === seg.acked) {
        fs.rmSync(p, { force: true });
        removeAcks(p);
        continue;
      }
      this.#segments.push(seg);
      this.#bytes += seg.size;
      this.#unacked += seg.records - seg.acked;
    }
    return { records, maxEpoch };
  }

  /** Records the epoch this process uses (atomically), so the next start picks a higher one. */
  writeEpoch(epoch: number): void {
    const tmp = path.join(this.dir, 'epoch.tmp');
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, String(epoch) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(this.dir, 'epoch'));
    syncDir(this.dir);
  }

  /**
   * Appends one framed record. Never throws: an I/O failure or a full spool is returned (and counted by the caller).
   * With staged I/O the record is on disk after the next flush().
   */
  async append(frame: Buffer, epoch: number, seq: number, kind: FrameKind = FrameKind.batch): Promise<AppendResult> {
    const len = frame.length;
    if (this.#bytes + len > this.#opts.maxBytes) {
      if (this.#opts.policy === 'stop_accepting') {
        this.stats.refusedFull++;
        return { ok: false, reason: 'full' };
      }
      this.#dropOldest(len);
      if (this.#bytes + len > this.#opts.maxBytes) {
        this.stats.refusedFull++;
        return { ok: false, reason: 'full' };
      }
    }
    try {
      if (!this.#active || !this.#activeSeg || this.#active.size + len > this.#opts.segmentBytes) await this.#rotate();
      const seg = this.#activeSeg!;
      const offset = this.#active!.append(frame);
      seg.size += len;
      seg.records++;
      this.#bytes += len;
      this.#unacked++;
      this.#dirty = true;
      // The direct writer bounds what it holds unwritten: wait for the disk when appends outrun it.
      const drained = this.#active!.drain?.();
      if (drained) await drained;
      if (this.#opts.writeThrough) await this.flush();
      this.#lastError = undefined;
      const ref: RecordRef = { segment: seg, offset, length: len, epoch, seq, kind, acked: false };
      return { ok: true, ref };
    } catch (err) {
      this.#lastError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      // The active file may be in a bad state; start a new one on the next append.
      this.#closeActive(true);
      return { ok: false, reason: 'io', error: this.#lastError };
    }
  }

  /** True when the next append of `len` bytes opens a new segment (interning restarts per segment). */
  wouldRotate(len: number): boolean {
    return !this.#active || this.#active.size + len > this.#opts.segmentBytes;
  }

  /** Makes every appended record durable (fdatasync, or the direct-I/O flush); returns whether it succeeded. */
  async flush(): Promise<boolean> {
    try {
      const closing = this.#closing.splice(0);
      if (closing.length) await Promise.all(closing);
      if (!this.#dirty || !this.#active) return true;
      this.#dirty = false;
      await this.#active.flush();
      return true;
    } catch (err) {
      this.#lastError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      // A failed direct write leaves the segment's tail unknown and its writer failing from then on: the next append
      // starts a new segment.
      if (this.#io.staged) this.#closeActive(true);
      else this.#dirty = true;
      return false;
    }
  }

  read(ref: RecordRef): Buffer {
    return this.#io.read(ref.segment.path, ref.offset, ref.length);
  }

  /** Marks a record acknowledged; a finished, fully acknowledged segment is deleted. */
  ack(ref: RecordRef): void {
    if (ref.acked) return;
    ref.acked = true;
    if (ref.segment.deleted) return;
    ref.segment.acked++;
    this.#unacked--;
    if (!this.#maybeDelete(ref.segment) && !appendAck(ref.segment.path, ref.epoch, ref.seq)) this.stats.ackMarkErrors++;
  }

  /** Copies a refused record to quarantine/ (bounded), then acknowledges it. */
  quarantine(ref: RecordRef, reason: string): void {
    if (!ref.segment.deleted) {
      try {
        const qdir = path.join(this.dir, 'quarantine');
        fs.mkdirSync(qdir, { recursive: true, mode: 0o700 });
        const existing = fs.readdirSync(qdir);
        if (existing.length < (this.#opts.maxQuarantineFiles ?? 100)) {
          fs.writeFileSync(path.join(qdir, `e${ref.epoch}-s${ref.seq}.orsp`), this.read(ref), { mode: 0o600 });
          fs.writeFileSync(path.join(qdir, `e${ref.epoch}-s${ref.seq}.reason`), reason + '\n', { mode: 0o600 });
        }
      } catch {
        /* quarantine is best effort; the refusal is counted by the caller */
      }
    }
    this.stats.quarantined++;
    this.ack(ref);
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closeActive();
    await Promise.all(this.#closing.splice(0)).catch(() => undefined);
  }

  async #rotate(): Promise<void> {
    this.#closeActive();
    const last = this.#segments.at(-1);
    const id = (last?.id ?? 0) + 1;
    const p = path.join(this.dir, segName(id));
    const file = await this.#io.openAppend(p);
    const seg: Segment = { id, path: p, size: 0, records: 0, acked: 0, deleted: false };
    this.#segments.push(seg);
    this.#active = file;
    this.#activeSeg = seg;
    // The new file's directory entry is made durable off the event loop and, like the old segment's close, by the
    // next flush(): a directory fsync waits for the journal commit of whatever the disk is busy with (the old
    // segment's final write and sync), which took 30-160 ms on the JS thread in the spool bench, stalling appends.
    this.#closing.push(syncDirAsync(this.dir));
    if (last) this.#maybeDelete(last);
  }

  /** Closes the active segment; its close (a final flush for staged I/O) completes by the next flush(). */
  #closeActive(failed = false): void {
    const file = this.#active;
    if (file) {
      const closing = (async () => {
        if (!failed) await file.flush();
        await file.close();
      })().catch((err: unknown) => {
        this.#lastError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      });
      this.#closing.push(closing);
    }
    this.#dirty = false;
    this.#active = undefined;
    const seg = this.#activeSeg;
    this.#activeSeg = undefined;
    if (seg) this.#maybeDelete(seg);
  }

  /** Deletes a finished, fully acknowledged segment; true when it is gone. */
  #maybeDelete(seg: Segment): boolean {
    if (seg.deleted || seg === this.#activeSeg || seg.acked < seg.records) return seg.deleted;
    this.#remove(seg);
    return true;
  }

  #remove(seg: Segment): void {
    seg.deleted = true;
    this.#bytes -= seg.size;
    this.#unacked -= seg.records - seg.acked;
    const i = this.#segments.indexOf(seg);
    if (i >= 0) this.#segments.splice(i, 1);
    try {
      fs.rmSync(seg.path, { force: true });
      removeAcks(seg.path);
    } catch {
      /* a later start finds and replays it; the aggregator deduplicates */
    }
  }

  /** drop_oldest: deletes whole finished segments, oldest first, until `len` more bytes fit. */
  #dropOldest(len: number): void {
    while (this.#bytes + len > this.#opts.maxBytes) {
      const oldest = this.#segments.find((s) => s !== this.#activeSeg);
      if (!oldest) {
        // Only the active segment is left: close it so it can go too.
        if (!this.#activeSeg) break;
        const seg = this.#activeSeg;
        this.#closeActive();
        if (!seg.deleted) {
          this.stats.droppedOldest += seg.records - seg.acked;
          this.#remove(seg);
        }
        continue;
      }
      this.stats.droppedOldest += oldest.records - oldest.acked;
      this.#remove(oldest);
    }
  }
}

function readEpochFile(dir: string): number {
  try {
    const n = Number(fs.readFileSync(path.join(dir, 'epoch'), 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}
