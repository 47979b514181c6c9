/**
 * Zero-copy file -> socket transfer of a byte range.
 *
 * Native: sendfile(2) on a thread of its own (never the JS thread nor libuv's
 * pool), on duplicates of both descriptors (closing the socket meanwhile can
 * never redirect bytes to a recycled fd). Partial sends, EINTR and EAGAIN
 * (the socket is non-blocking: it waits for writability with poll, no spin)
 * are handled; a peer that goes away rejects with OUTRIDER_ERR_SENDFILE and
 * errno EPIPE / ECONNRESET.
 * Twin: `stream.pipeline(fs.createReadStream(file, {start, end}), socket, {end: false})`.
 *
 * Both: the socket stays open on success (more can be written after); on
 * failure a net.Socket is destroyed with the error, since the peer has seen
 * part of the range. Do not write to the socket while a transfer runs: the
 * call first waits for the socket's pending writes to drain, then owns the
 * byte stream until it settles.
 */
import fs from 'node:fs';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, OutriderError, fromNative, nativeError } from './errors';
import { nativeBinding } from './loader';

export interface SendFileOptions {
  /** First byte of the file to send. Default 0. */
  offset?: number;
  /** Bytes to send. Default: to the end of the file. */
  length?: number;
}

/** A connected net.Socket, or a raw socket fd. */
export type SendFileTarget = net.Socket | number;
/** A path, an open fd, or a FileHandle (left open). */
export type SendFileSource = string | number | fs.promises.FileHandle;

function checkInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new OutriderError(ErrorCode.INVALID_ARG, `sendFile: ${what} must be a non-negative integer, got ${String(v)}`);
  }
  return v;
}

function socketFd(sock: net.Socket): number {
  const fd = (sock as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new OutriderError(ErrorCode.INVALID_ARG, 'sendFile: the socket has no file descriptor (not connected, closed, or not a TCP/IPC socket)');
  }
  return fd;
}

async function ready(sock: net.Socket): Promise<void> {
  if (sock.destroyed || !sock.writable) {
    throw nativeError(ErrorCode.SENDFILE, 'sendFile: socket is closed', { errno: 'EPIPE' });
  }
  if (sock.connecting) await new Promise<void>((res, rej) => {
    sock.once('connect', res);
    sock.once('error', rej);
  });
  while (sock.writableLength > 0) {
    await new Promise<void>((res) => {
      const done = () => {
        sock.off('drain', done);
        sock.off('close', done);
        res();
      };
      sock.once('drain', done);
      sock.once('close', done);
    });
    if (sock.destroyed) throw nativeError(ErrorCode.SENDFILE, 'sendFile: socket closed while draining', { errno: 'EPIPE' });
  }
}

function validate(target: unknown, source: unknown, opts: SendFileOptions): void {
  if (!(target instanceof net.Socket) && typeof target !== 'number') {
    throw new OutriderError(ErrorCode.INVALID_ARG, 'sendFile: target must be a net.Socket or a socket fd');
  }
  if (typeof target === 'number') checkInt(target, 'target fd');
  if (typeof source === 'number') checkInt(source, 'source fd');
  else if (typeof source !== 'string' && !(source && typeof (source as fs.promises.FileHandle).fd === 'number')) {
    throw new OutriderError(ErrorCode.INVALID_ARG, 'sendFile: source must be a path, an fd or a FileHandle');
  }
  if (opts === null || typeof opts !== 'object') throw new OutriderError(ErrorCode.INVALID_ARG, 'sendFile: options must be an object');
  if (opts.offset !== undefined) checkInt(opts.offset, 'offset');
  if (opts.length !== undefined) checkInt(opts.length, 'length');
}

interface Opened {
  fd: number;
  size: number;
  close(): Promise<void>;
}

async function openSource(source: SendFileSource): Promise<Opened> {
  try {
    if (typeof source === 'string') {
      const fh = await fs.promises.open(source, 'r');
      const st = await fh.stat();
      return { fd: fh.fd, size: st.size, close: () => fh.close() };
    }
    const fd = typeof source === 'number' ? source : source.fd;
    const st = await new Promise<fs.Stats>((res, rej) => fs.fstat(fd, (e, s) => (e ? rej(e) : res(s))));
    return { fd, size: st.size, close: async () => {} };
  } catch (e) {
    throw fromNative(ErrorCode.SENDFILE, 'sendFile: cannot open the source', e);
  }
}

function range(size: number, opts: SendFileOptions): { offset: number; length: number } {
  const offset = opts.offset ?? 0;
  const length = opts.length ?? Math.max(0, size - offset);
  if (offset + length > size) {
    throw new OutriderError(ErrorCode.SENDFILE_SHORT, `sendFile: range ${offset}+${length} exceeds the file size ${size}`);
  }
  return { offset, length };
}

/** Native sendfile(2). Throws NATIVE_UNAVAILABLE without the addon. */
export async function sendFileNative(target: SendFileTarget, source: SendFileSource, opts: SendFileOptions = {}): Promise<number> {
  validate(target, source, opts);
  const b = nativeBinding();
  if (!b) throw new OutriderError(ErrorCode.NATIVE_UNAVAILABLE, 'sendFile: native addon not loaded');
  const sock = target instanceof net.Socket ? target : null;
  if (sock) await ready(sock);
  const outFd = sock ? socketFd(sock) : (target as number);
  const src = await openSource(source);
  try {
    const { offset, length } = range(src.size, opts);
    if (length === 0) return 0;
    try {
      return await b.sendfile(outFd, src.fd, offset, length);
    } catch (e) {
      const err =
        (e as { code?: string }).code === 'ESHORT'
          ? nativeError(ErrorCode.SENDFILE_SHORT, 'sendFile: the file ended before the range did', { cause: e })
          : fromNative(ErrorCode.SENDFILE, 'sendFile', e);
      if (sock && !sock.destroyed) sock.destroy(err);
      throw err;
    }
  } finally {
    await src.close();
  }
}

/** The twin: a stream pipeline from a read stream into the socket. */
export async function sendFileTwin(target: SendFileTarget, source: SendFileSource, opts: SendFileOptions = {}): Promise<number> {
  validate(target, source, opts);
  const sock = target instanceof net.Socket ? target : null;
  if (sock) await ready(sock);
  let size: number;
  let fd: number | null = null;
  try {
    if (typeof source === 'string') size = (await fs.promises.stat(source)).size;
    else {
      fd = typeof source === 'number' ? source : source.fd;
      const f = fd;
      size = (await new Promise<fs.Stats>((res, rej) => fs.fstat(f, (e, st) => (e ? rej(e) : res(st))))).size;
    }
  } catch (e) {
    throw fromNative(ErrorCode.SENDFILE, 'sendFile: cannot open the source', e);
  }
  const { offset, length } = range(size, opts);
  if (length === 0) return 0;
  // A path is opened (and closed) by the stream itself; a caller's fd is left open.
  const rs =
    fd === null
      ? fs.createReadStream(source as string, { start: offset, end: offset + length - 1 })
      : fs.createReadStream('', { fd, start: offset, end: offset + length - 1, autoClose: false });
  let sent = 0;
  rs.on('data', (c: Buffer | string) => (sent += c.length));
  const out = sock ?? fs.createWriteStream('', { fd: target as number, autoClose: false });
  try {
    await pipeline(rs, out, { end: false });
  } catch (e) {
    const err = fromNative(ErrorCode.SENDFILE, 'sendFile', e);
    if (sock && !sock.destroyed) sock.destroy(err);
    throw err;
  }
  if (sent < length) throw new OutriderError(ErrorCode.SENDFILE_SHORT, 'sendFile: the file ended before the range did');
  return sent;
}

/**
 * Sends a byte range of a file to a socket; resolves with the bytes sent.
 * Native sendfile(2) when the addon is loaded, else the stream twin.
 * @throws OUTRIDER_ERR_INVALID_ARG, OUTRIDER_ERR_SENDFILE (errno set), OUTRIDER_ERR_SENDFILE_SHORT
 */
export const sendFile: (target: SendFileTarget, source: SendFileSource, opts?: SendFileOptions) => Promise<number> = nativeBinding()
  ? sendFileNative
  : sendFileTwin;
