/**
 * The durable spool: every batch the reporter forms is appended here as one framed record (see ../frame.ts; the
 * record is byte for byte the HTTP request body) before it is sent, and a record leaves only when the aggregator
 * acknowledged it. Layout on disk (docs/spool.md):
 *
 *   <dir>/epoch                 the last agent epoch (decimal), replaced atomically (write tmp, fsync, rename)
 *   <dir>/seg-<16 digits>.orsp  segments, numbered in write order; records appended back to back; a segment never
 *                               grows past `segmentBytes` (a record that does not fit opens the next one)
 *   <dir>/quarantine/           records the aggregator refused permanently (4xx), kept for an operator, bounded
 *
 * Durability: appends are written at once (the page cache holds them) and fdatasync'd every `syncIntervalMs`, or
 * before the append returns in write-through mode. A segment is deleted once every record in it is acknowledged and
 * it is no longer the one being written. On open, every segment is scanned: intact records are queued for replay in
 * order, a torn tail is truncated and counted, a corrupt record is skipped and counted.
 *
 * Bounds: `maxBytes` on disk with a policy when full (drop_oldest deletes the oldest segment and counts its unsent
 * records; stop_accepting refuses the new batch and counts it). In memory, only a small index entry per unsent
 * record is held (the record bytes themselves are cached only while the caller's memory budget allows).
 */
import fs from 'node:fs';
import path from 'node:path';
import { FrameKind } from '../frame';
import { scanSegment } from './scan';
import { fsSegmentIO, SegmentFile, SegmentIO } from './segment-io';

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
  #bytes = 0;
  #unacked = 0;
  #dirty = false;
  #lastError: string | undefined;
  readonly stats: SpoolStats = { tornRecords: 0, corruptRecords: 0, droppedOldest: 0, refusedFull: 0, quarantined: 0 };

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

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Scans the directory and returns the intact unacknowledged records in write order, plus the highest epoch seen
   * (the caller's new epoch must be above it). Throws when the directory cannot be created or read.
   */
  open(): { records: RecordRef[]; maxEpoch: number } {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const names = fs.readdirSync(this.dir).filter((n) => /^seg-\d{16}\.orsp$/.test(n)).sort();
    const records: RecordRef[] = [];
    let maxEpoch = readEpochFile(this.dir);
    for (const name of names) {
      const p = path.join(this.dir, name);
      const id = Number(name.slice(4, 20));
      const scan = scanSegment(p, this.#opts.maxRecordBytes);
      this.stats.corruptRecords += scan.corrupt;
      if (scan.torn) {
        this.stats.tornRecords++;
        fs.truncateSync(p, scan.goodEnd);
      }
      const seg: Segment = { id, path: p, size: scan.goodEnd, records: 0, acked: 0, deleted: false };
      for (const r of scan.records) {
        if (r.header.kind !== FrameKind.batch) continue;
        seg.records++;
        maxEpoch = Math.max(maxEpoch, r.header.epoch);
        records.push({ segment: seg, offset: r.offset, length: r.length, epoch: r.header.epoch, seq: r.header.seq, kind: r.header.kind, acked: false });
      }
      if (seg.records === 0) {
        fs.rmSync(p, { force: true });
        continue;
      }
      this.#segments.push(seg);
      this.#bytes += seg.size;
      this.#unacked += seg.records;
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

  /** Appends one framed record. Never throws: an I/O failure or a full spool is returned (and counted by the caller). */
  append(frame: Buffer, epoch: number, seq: number, kind: FrameKind = FrameKind.batch): AppendResult {
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
      if (!this.#active || !this.#activeSeg || this.#active.size + len > this.#opts.segmentBytes) this.#rotate();
      const seg = this.#activeSeg!;
      const offset = this.#active!.append(frame);
      seg.size += len;
      seg.records++;
      this.#bytes += len;
      this.#unacked++;
      this.#dirty = true;
      if (this.#opts.writeThrough) this.sync();
      this.#lastError = undefined;
      const ref: RecordRef = { segment: seg, offset, length: len, epoch, seq, kind, acked: false };
      return { ok: true, ref };
    } catch (err) {
      this.#lastError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      // The active file may be in a bad state; start a new one on the next append.
      this.#closeActive();
      return { ok: false, reason: 'io', error: this.#lastError };
    }
  }

  /** True when the next append of `len` bytes opens a new segment (interning restarts per segment). */
  wouldRotate(len: number): boolean {
    return !this.#active || this.#active.size + len > this.#opts.segmentBytes;
  }

  /** fdatasync of the active segment when it has unsynced bytes; returns whether it synced. */
  sync(): boolean {
    if (!this.#dirty || !this.#active) return false;
    try {
      this.#active.sync();
      this.#dirty = false;
      return true;
    } catch (err) {
      this.#lastError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
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
    this.#maybeDelete(ref.segment);
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

  close(): void {
    this.sync();
    this.#closeActive();
  }

  #rotate(): void {
    this.#closeActive();
    const last = this.#segments.at(-1);
    const id = (last?.id ?? 0) + 1;
    const p = path.join(this.dir, segName(id));
    const file = this.#io.openAppend(p, 0);
    const seg: Segment = { id, path: p, size: 0, records: 0, acked: 0, deleted: false };
    this.#segments.push(seg);
    this.#active = file;
    this.#activeSeg = seg;
    syncDir(this.dir);
    if (last) this.#maybeDelete(last);
  }

  #closeActive(): void {
    try {
      if (this.#dirty) this.#active?.sync();
    } catch {
      /* counted through lastError on the next operation */
    }
    try {
      this.#active?.close();
    } catch {
      /* nothing more to do */
    }
    this.#dirty = false;
    this.#active = undefined;
    const seg = this.#activeSeg;
    this.#activeSeg = undefined;
    if (seg) this.#maybeDelete(seg);
  }

  #maybeDelete(seg: Segment): void {
    if (seg.deleted || seg === this.#activeSeg || seg.acked < seg.records) return;
    this.#remove(seg);
  }

  #remove(seg: Segment): void {
    seg.deleted = true;
    this.#bytes -= seg.size;
    this.#unacked -= seg.records - seg.acked;
    const i = this.#segments.indexOf(seg);
    if (i >= 0) this.#segments.splice(i, 1);
    try {
      fs.rmSync(seg.path, { force: true });
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

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* some filesystems refuse a directory fsync; the data files are synced on their own */
  }
}
