/**
 * The file I/O the spool needs, behind one interface. Two implementations:
 *
 *  - `fsSegmentIO` (the pure-TypeScript path): `write(2)` at append time (the page cache holds the record, so it
 *    survives kill -9 at once), `fdatasync` on `sync()`.
 *  - `directSegmentIO` (the native addon's direct-I/O append file, `agent/native/direct-io.ts`): appends are staged
 *    in memory; every DIRECT_WRITE_BEHIND_BYTES staged are written with O_DIRECT in the background (no sync), and
 *    `flush()` writes the rest and fdatasyncs once. An append waits (`drain`) while more than
 *    DIRECT_MAX_UNWRITTEN_BYTES are not yet written, so staging is bounded when appends outrun the disk. The file ends in zero padding and a 16-byte trailer holding the
 *    logical length (the scanner reads that). A staged record is durable only once flush() resolved, so the reporter
 *    flushes before it sends.
 *
 * Reads are positional `fs` reads in both cases (the logical bytes sit at the same offsets).
 */
import fs from 'node:fs';
import { AppendFile, openAppendFile, DIO_TRAILER_BYTES, parseDioTrailer } from '../../native/direct-io';

export interface SegmentFile {
  readonly path: string;
  /** Bytes written so far (the next record's offset). */
  readonly size: number;
  /** Appends the whole buffer at the end; throws on a short or failed write (ENOSPC, EIO...). */
  append(buf: Uint8Array): number;
  /** Makes every appended byte durable (fdatasync); a no-op for files that need flush(). */
  sync(): void;
  /** Writes what is staged and makes it durable. */
  flush(): Promise<void>;
  /** A promise to await before the next append when more is staged than the writer's bound; else undefined. */
  drain?(): Promise<void> | undefined;
  close(): Promise<void>;
}

export interface SegmentIO {
  readonly name: string;
  /** Whether appends are only staged until flush() (and a crash before it loses them). */
  readonly staged: boolean;
  /** Opens a new, empty segment file for appending. */
  openAppend(path: string): Promise<SegmentFile>;
  /** Reads `length` bytes at `offset`. */
  read(path: string, offset: number, length: number): Buffer;
}

class FsSegmentFile implements SegmentFile {
  readonly path: string;
  #fd: number | undefined;
  #size: number;

  constructor(path: string) {
    this.path = path;
    this.#fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o600);
    this.#size = 0;
  }

  get size(): number {
    return this.#size;
  }

  append(buf: Uint8Array): number {
    if (this.#fd === undefined) throw new Error('segment is closed');
    const at = this.#size;
    let off = 0;
    try {
      while (off < buf.length) off += fs.writeSync(this.#fd, buf, off, buf.length - off, at + off);
    } catch (err) {
      // Leave no partial record behind: recovery would count it as torn, but the live writer should not append after it.
      try {
        fs.ftruncateSync(this.#fd, at);
      } catch {
        /* the scan on the next start truncates it */
      }
      throw err;
    }
    this.#size += buf.length;
    return at;
  }

  sync(): void {
    if (this.#fd !== undefined) fs.fdatasyncSync(this.#fd);
  }

  async flush(): Promise<void> {
    this.sync();
  }

  async close(): Promise<void> {
    if (this.#fd === undefined) return;
    fs.closeSync(this.#fd);
    this.#fd = undefined;
  }
}

class DirectSegmentFile implements SegmentFile {
  readonly path: string;
  readonly #file: AppendFile;

  constructor(file: AppendFile) {
    this.path = file.path;
    this.#file = file;
  }

  get size(): number {
    return this.#file.length;
  }

  append(buf: Uint8Array): number {
    const at = this.#file.length;
    this.#file.append(buf);
    return at;
  }

  sync(): void {
    /* durability comes from flush() */
  }

  drain(): Promise<void> | undefined {
    const f = this.#file;
    return f.length - f.writtenLength > DIRECT_MAX_UNWRITTEN_BYTES ? f.waitWritten(DIRECT_MAX_UNWRITTEN_BYTES) : undefined;
  }

  async flush(): Promise<void> {
    await this.#file.flush();
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}

function readAt(path: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) throw Object.assign(new Error(`short read in ${path}`), { code: 'OUTRIDER_ERR_SPOOL_SHORT_READ' });
      got += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

export const fsSegmentIO: SegmentIO = {
  name: 'fs',
  staged: false,
  openAppend: async (path) => new FsSegmentFile(path),
  read: readAt,
};

/**
 * Staged bytes written in the background by the direct writer: large enough for the disk to stream (dd-sized
 * writes), small enough that a flush has little left to write (bench/README.md, "Spool write and replay").
 */
export const DIRECT_WRITE_BEHIND_BYTES = 1 << 20;

/**
 * Most appended bytes the direct writer holds that are not in the file yet: an append beyond it waits for the disk
 * (the writer's staging is bounded; two 4 MiB writes queued keep the disk busy).
 */
export const DIRECT_MAX_UNWRITTEN_BYTES = 8 << 20;

/** Direct I/O through the native addon (its TypeScript twin when the addon is not loaded). */
export const directSegmentIO: SegmentIO = {
  name: 'direct',
  staged: true,
  openAppend: async (path) => {
    fs.rmSync(path, { force: true });
    return new DirectSegmentFile(await openAppendFile(path, { direct: true, writeBehindBytes: DIRECT_WRITE_BEHIND_BYTES }));
  },
  read: readAt,
};

/** Logical length of a segment written by the direct-I/O writer (from its trailer), or undefined for a plain file. */
export function directLogicalLength(path: string): number | undefined {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < DIO_TRAILER_BYTES || size % 512 !== 0) return undefined;
    const t = Buffer.alloc(DIO_TRAILER_BYTES);
    fs.readSync(fd, t, 0, DIO_TRAILER_BYTES, size - DIO_TRAILER_BYTES);
    const len = parseDioTrailer(t);
    return len !== null && len <= size - DIO_TRAILER_BYTES ? len : undefined;
  } finally {
    fs.closeSync(fd);
  }
}
