/**
 * The file I/O the spool needs, behind one interface so the native addon's direct-I/O writer and sendfile can
 * replace it. This is the pure-TypeScript twin: buffered `fs` writes, `fdatasync` for durability, positional reads.
 */
import fs from 'node:fs';

export interface SegmentFile {
  readonly path: string;
  /** Bytes written so far (the next record's offset). */
  readonly size: number;
  /** Appends the whole buffer at the end; throws on a short or failed write (ENOSPC, EIO...). */
  append(buf: Uint8Array): number;
  /** Makes every appended byte durable (fdatasync). */
  sync(): void;
  close(): void;
}

export interface SegmentIO {
  readonly name: string;
  /** Opens for appending at `size` (after recovery truncated a torn tail to it). */
  openAppend(path: string, size: number): SegmentFile;
  /** Reads `length` bytes at `offset`. */
  read(path: string, offset: number, length: number): Buffer;
}

class FsSegmentFile implements SegmentFile {
  readonly path: string;
  #fd: number | undefined;
  #size: number;

  constructor(path: string, size: number) {
    this.path = path;
    this.#fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
    this.#size = size;
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

  close(): void {
    if (this.#fd === undefined) return;
    fs.closeSync(this.#fd);
    this.#fd = undefined;
  }
}

export const fsSegmentIO: SegmentIO = {
  name: 'fs',
  openAppend: (path, size) => new FsSegmentFile(path, size),
  read(path, offset, length) {
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
  },
};
