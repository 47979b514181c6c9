/**
 * Append-only files for the spool, written with O_DIRECT where the
 * filesystem allows it.
 *
 * File layout (shared by the native implementation and the twin, so either
 * reads what the other wrote): the appended bytes from offset 0, zero
 * padding, and a 16-byte trailer ending exactly at the end of the file:
 *
 *   u64 LE  logical length L
 *   u32 LE  magic 0x52544F44 ("DOTR")
 *   u32 LE  CRC-32C of the 12 bytes before it
 *
 * The file size is a multiple of the block size. Each flush rewrites the
 * partial tail block, pads, stamps a new trailer at the (new) end, and makes
 * it durable (O_DSYNC, or fdatasync). Readers see exactly [0, L): never the
 * padding. After a crash (even SIGKILL mid-append), reopening yields every
 * byte whose flush() had resolved.
 *
 * Write-behind (`writeBehindBytes` > 0): once that many bytes are staged past
 * what the file holds, they are written the same way in the background (a
 * thread of the file natively; the operation chain in the twin) without a
 * sync, so the disk works while the caller appends and a flush only writes
 * the rest and syncs once. It never advances `durableLength`. `waitWritten`
 * lets an appender that outruns the disk wait for it (staging stays bounded;
 * natively it is fixed 4 MiB chunks, reused). A write error
 * (background or flush) is sticky: every later flush rejects with it.
 *
 * Native: O_DIRECT with buffers aligned to the device's logical block size
 * (sysfs queue/logical_block_size; 4096 when the file is not on a block
 * device). If the filesystem refuses O_DIRECT (EINVAL at open or at the first
 * write) it falls back to buffered writes + fdatasync: `directIo` is false
 * and `reason` says why. Linux tmpfs accepts O_DIRECT since 6.6.
 * Twin: node:fs positional writes + fdatasync, 4096-byte blocks.
 */
import fs from 'node:fs';
import type { DirectIoTotals, NativeDirectFile } from './binding';
import { crc32cTs } from './crc32c';
import { ErrorCode, OutriderError, check, fromNative } from './errors';
import { nativeBinding } from './loader';

export const DIO_TRAILER_BYTES = 16;
export const DIO_TRAILER_MAGIC = 0x52544f44;

export interface AppendFileOptions {
  /** Open with O_DSYNC instead of calling fdatasync after each flush. Default false. */
  dsync?: boolean;
  /** Try O_DIRECT (native only). Default true. */
  direct?: boolean;
  /** Write staged bytes in the background once this many are staged (0: only at flush). Default 0. */
  writeBehindBytes?: number;
}

export interface AppendFile {
  readonly path: string;
  readonly kind: 'native' | 'twin';
  /** True when writes bypass the page cache (O_DIRECT). */
  readonly directIo: boolean;
  /** How the file is written, and why not O_DIRECT when it is not. */
  readonly reason: string;
  readonly blockSize: number;
  readonly dsync: boolean;
  /** Logical length including appended bytes not yet flushed. */
  readonly length: number;
  /** Logical length that the last flush made durable. */
  readonly durableLength: number;
  /** Logical length the file holds (written by a flush or a write-behind, durable or not). */
  readonly writtenLength: number;
  /**
   * Stages `data` (copied; no I/O) and returns the logical length after it,
   * i.e. the offset just past this record.
   */
  append(data: Uint8Array): number;
  /** Writes what is staged and makes it durable; resolves with the durable length. */
  flush(): Promise<number>;
  /**
   * Resolves once at most `maxBytes` appended bytes are not in the file (written, not synced): a caller appending
   * faster than the disk takes awaits it, so staging stays bounded. A write error is not reported here but by the
   * next flush.
   */
  waitWritten(maxBytes: number): Promise<void>;
  /** Reads [offset, offset+length) of the durable data (clipped to it). */
  read(offset: number, length: number): Promise<Buffer>;
  /** Flushes, then closes. Further calls throw OUTRIDER_ERR_DIO_CLOSED. */
  close(): Promise<void>;
}

function checkOpts(opts: AppendFileOptions): Required<AppendFileOptions> {
  check(opts !== null && typeof opts === 'object', 'directIo: options must be an object');
  const dsync = opts.dsync ?? false;
  const direct = opts.direct ?? true;
  const writeBehindBytes = opts.writeBehindBytes ?? 0;
  check(typeof dsync === 'boolean' && typeof direct === 'boolean', 'directIo: dsync and direct must be booleans');
  check(
    typeof writeBehindBytes === 'number' && Number.isSafeInteger(writeBehindBytes) && writeBehindBytes >= 0 && writeBehindBytes <= 2 ** 30,
    `directIo: writeBehindBytes must be an integer in [0, 2^30], got ${String(writeBehindBytes)}`,
  );
  return { dsync, direct, writeBehindBytes };
}

function checkRange(offset: unknown, length: unknown): void {
  check(typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0, `directIo: offset must be a non-negative integer, got ${String(offset)}`);
  check(typeof length === 'number' && Number.isSafeInteger(length) && length >= 0 && length <= 2 ** 31, `directIo: length must be an integer in [0, 2^31], got ${String(length)}`);
}

/** Serialises flush/read/close so they never overlap. */
class OpChain {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => {});
    return p;
  }
}

class NativeAppendFile implements AppendFile {
  readonly kind = 'native' as const;
  private closed = false;
  private readonly ops = new OpChain();

  constructor(
    readonly path: string,
    private readonly f: NativeDirectFile,
  ) {}

  private live(): NativeDirectFile {
    if (this.closed) throw new OutriderError(ErrorCode.DIO_CLOSED, `directIo: ${this.path} is closed`);
    return this.f;
  }
  get directIo() {
    return this.f.directIo;
  }
  get reason() {
    return this.f.reason;
  }
  get blockSize() {
    return this.f.blockSize;
  }
  get dsync() {
    return this.f.dsync;
  }
  get length() {
    return this.live().length();
  }
  get durableLength() {
    return this.live().durableLength();
  }
  get writtenLength() {
    return this.live().writtenLength();
  }
  append(data: Uint8Array): number {
    check(data instanceof Uint8Array, 'directIo: append needs a Uint8Array');
    return this.live().append(data);
  }
  flush(): Promise<number> {
    let f: NativeDirectFile;
    try {
      f = this.live();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.ops.run(() => f.flush().catch((e) => Promise.reject(fromNative(ErrorCode.DIO, `directIo: flush ${this.path}`, e))));
  }
  waitWritten(maxBytes: number): Promise<void> {
    let f: NativeDirectFile;
    try {
      checkRange(0, maxBytes);
      f = this.live();
    } catch (e) {
      return Promise.reject(e);
    }
    const wait = f.waitWritten;
    if (!wait) return Promise.resolve();
    // Errors stay sticky in the file: the next flush rejects with them.
    return this.ops.run(() => wait.call(f, maxBytes).then(
      () => undefined,
      () => undefined,
    ));
  }
  read(offset: number, length: number): Promise<Buffer> {
    try {
      checkRange(offset, length);
      const f = this.live();
      return this.ops.run(() => f.read(offset, length).catch((e) => Promise.reject(fromNative(ErrorCode.DIO, `directIo: read ${this.path}`, e))));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      // Closed even when the last flush failed: the caller learns it from the rejection.
      this.closed = true;
      await this.ops.run(async () => this.f.close());
    }
  }
}

const TWIN_BLOCK = 4096;

function trailer(length: number): Buffer {
  const b = Buffer.alloc(DIO_TRAILER_BYTES);
  b.writeBigUInt64LE(BigInt(length), 0);
  b.writeUInt32LE(DIO_TRAILER_MAGIC, 8);
  b.writeUInt32LE(crc32cTs(b.subarray(0, 12)), 12);
  return b;
}

/** Parses a trailer; null when it is not one. */
export function parseDioTrailer(b: Uint8Array): number | null {
  if (b.length !== DIO_TRAILER_BYTES) return null;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (buf.readUInt32LE(8) !== DIO_TRAILER_MAGIC || buf.readUInt32LE(12) !== crc32cTs(buf.subarray(0, 12))) return null;
  const len = buf.readBigUInt64LE(0);
  return len > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(len);
}

class TwinAppendFile implements AppendFile {
  readonly kind = 'twin' as const;
  readonly directIo = false;
  readonly reason = 'TS twin: buffered writes + fdatasync';
  readonly blockSize = TWIN_BLOCK;
  private closed = false;
  private readonly ops = new OpChain();
  private staging: Buffer;
  private stagingOff: number;
  private stagedLen: number;
  private durable: number;
  private written: number;
  /** Size of the file: a flush writes at least up to it so its trailer stays last. */
  private fileEnd: number;
  /** Sticky write error. */
  private error: unknown;
  private behindQueued = false;

  constructor(
    readonly path: string,
    private readonly fh: fs.promises.FileHandle,
    readonly dsync: boolean,
    private readonly writeBehindBytes: number,
    durable: number,
    tail: Buffer,
    fileSize: number,
  ) {
    this.durable = durable;
    this.written = durable;
    this.fileEnd = fileSize;
    this.stagingOff = durable - (durable % TWIN_BLOCK);
    this.stagedLen = tail.length;
    this.staging = Buffer.alloc(Math.max(1 << 20, tail.length * 2));
    tail.copy(this.staging);
  }

  private live(): void {
    if (this.closed) throw new OutriderError(ErrorCode.DIO_CLOSED, `directIo: ${this.path} is closed`);
  }
  get length() {
    this.live();
    return this.stagingOff + this.stagedLen;
  }
  get durableLength() {
    this.live();
    return this.durable;
  }
  get writtenLength() {
    this.live();
    return this.written;
  }
  append(data: Uint8Array): number {
    check(data instanceof Uint8Array, 'directIo: append needs a Uint8Array');
    this.live();
    if (this.stagedLen + data.length > this.staging.length) {
      const next = Buffer.alloc(Math.max(this.staging.length * 2, this.stagedLen + data.length));
      this.staging.copy(next, 0, 0, this.stagedLen);
      this.staging = next;
    }
    this.staging.set(data, this.stagedLen);
    this.stagedLen += data.length;
    if (this.writeBehindBytes > 0 && !this.behindQueued && this.error === undefined && this.length - this.written >= this.writeBehindBytes) {
      this.behindQueued = true;
      // Failures are kept in this.error and reported by the next flush.
      void this.ops.run(() => {
        this.behindQueued = false;
        return this.writeStaged(false);
      }).catch(() => undefined);
    }
    return this.stagingOff + this.stagedLen;
  }
  flush(): Promise<number> {
    try {
      this.live();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.ops.run(() => this.writeStaged(true));
  }
  waitWritten(maxBytes: number): Promise<void> {
    try {
      checkRange(0, maxBytes);
      this.live();
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.length - this.written <= maxBytes) return Promise.resolve();
    // Errors are kept in this.error and reported by the next flush.
    return this.ops.run(() => this.writeStaged(false)).then(
      () => undefined,
      () => undefined,
    );
  }
  /** Writes everything staged (padding + trailer); with `sync`, makes it durable. Runs on the op chain. */
  private async writeStaged(sync: boolean): Promise<number> {
    if (this.error !== undefined) throw this.error;
    const off = this.stagingOff;
    const len = this.stagedLen;
    const write = off + len !== this.written || this.fileEnd === 0;
    if (!write && (!sync || this.durable === this.written)) return this.durable;
    try {
      if (write) {
        // Up to the file's end at least (it may have been written with larger
        // blocks): a trailer left beyond the new one would hide this write.
        const writeLen = Math.ceil(Math.max(len + DIO_TRAILER_BYTES, this.fileEnd - off) / TWIN_BLOCK) * TWIN_BLOCK;
        const out = Buffer.alloc(writeLen);
        this.staging.copy(out, 0, 0, len);
        trailer(off + len).copy(out, writeLen - DIO_TRAILER_BYTES);
        // Appends made while writing land after the kept partial block.
        const keepFrom = len - (len % TWIN_BLOCK);
        this.staging.copy(this.staging, 0, keepFrom, len);
        this.stagingOff += keepFrom;
        this.stagedLen -= keepFrom;
        let done = 0;
        while (done < writeLen) done += (await this.fh.write(out, done, writeLen - done, off + done)).bytesWritten;
        this.fileEnd = Math.max(this.fileEnd, off + writeLen);
        this.written = off + len;
      }
      if (sync && !this.dsync) await this.fh.datasync();
    } catch (e) {
      this.error = fromNative(ErrorCode.DIO, `directIo: flush ${this.path}`, e);
      throw this.error;
    }
    if (sync || this.dsync) this.durable = this.written;
    return this.durable;
  }
  read(offset: number, length: number): Promise<Buffer> {
    try {
      checkRange(offset, length);
      this.live();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.ops.run(async () => {
      if (offset >= this.durable || length === 0) return Buffer.alloc(0);
      const n = Math.min(length, this.durable - offset);
      const b = Buffer.alloc(n);
      let got = 0;
      try {
        while (got < n) {
          const r = await this.fh.read(b, got, n - got, offset + got);
          if (r.bytesRead === 0) throw new OutriderError(ErrorCode.DIO_CORRUPT, `directIo: ${this.path} is shorter than its trailer says`);
          got += r.bytesRead;
        }
      } catch (e) {
        throw fromNative(ErrorCode.DIO, `directIo: read ${this.path}`, e);
      }
      return b;
    });
  }
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.ops.run(() => this.fh.close());
    }
  }
}

export type { DirectIoTotals };

/**
 * The process's totals over every native direct-I/O file (time in writes and syncs, the write-behind threads'
 * idle time, waitWritten's waits): how the spool bench times the writer's phases. Undefined without the addon (the
 * twin keeps none) or with a build that predates it.
 */
export function directIoTotals(): DirectIoTotals | undefined {
  return nativeBinding()?.DirectFile.totals?.();
}

/** Opens (creating) an append file with the native implementation. */
export async function openAppendFileNative(path: string, opts: AppendFileOptions = {}): Promise<AppendFile> {
  check(typeof path === 'string' && path !== '', 'directIo: path must be a non-empty string');
  const o = checkOpts(opts);
  const b = nativeBinding();
  if (!b) throw new OutriderError(ErrorCode.NATIVE_UNAVAILABLE, 'directIo: native addon not loaded');
  try {
    return new NativeAppendFile(path, b.DirectFile.open(path, o));
  } catch (e) {
    const code = (e as { code?: string }).code === 'EILSEQ' ? ErrorCode.DIO_CORRUPT : ErrorCode.DIO;
    throw fromNative(code, `directIo: open ${path}`, e);
  }
}

/** Opens (creating) an append file with the twin. */
export async function openAppendFileTwin(path: string, opts: AppendFileOptions = {}): Promise<AppendFile> {
  check(typeof path === 'string' && path !== '', 'directIo: path must be a non-empty string');
  const o = checkOpts(opts);
  const { O_RDWR, O_CREAT, O_DSYNC } = fs.constants;
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(path, O_RDWR | O_CREAT | (o.dsync ? O_DSYNC : 0), 0o644);
  } catch (e) {
    throw fromNative(ErrorCode.DIO, `directIo: open ${path}`, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new OutriderError(ErrorCode.DIO, `directIo: ${path} is not a regular file`);
    let durable = 0;
    if (st.size !== 0) {
      const t = Buffer.alloc(DIO_TRAILER_BYTES);
      const r = st.size >= DIO_TRAILER_BYTES ? await fh.read(t, 0, DIO_TRAILER_BYTES, st.size - DIO_TRAILER_BYTES) : { bytesRead: 0 };
      const len = r.bytesRead === DIO_TRAILER_BYTES ? parseDioTrailer(t) : null;
      if (len === null || len > st.size - DIO_TRAILER_BYTES) {
        throw new OutriderError(ErrorCode.DIO_CORRUPT, `directIo: ${path} has no valid trailer`);
      }
      durable = len;
    }
    const tailLen = durable % TWIN_BLOCK;
    const tail = Buffer.alloc(tailLen);
    if (tailLen) await fh.read(tail, 0, tailLen, durable - tailLen);
    return new TwinAppendFile(path, fh, o.dsync, o.writeBehindBytes, durable, tail, st.size);
  } catch (e) {
    await fh.close();
    throw e instanceof OutriderError ? e : fromNative(ErrorCode.DIO, `directIo: open ${path}`, e);
  }
}

/**
 * Opens (creating) an append-only file: native O_DIRECT when the addon is
 * loaded, else the twin. Both read and write the same format.
 * @throws OUTRIDER_ERR_DIO (errno set), OUTRIDER_ERR_DIO_CORRUPT, OUTRIDER_ERR_INVALID_ARG
 */
export const openAppendFile: (path: string, opts?: AppendFileOptions) => Promise<AppendFile> = nativeBinding()
  ? openAppendFileNative
  : openAppendFileTwin;
