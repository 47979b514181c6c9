/**
 * The batch frame: one layout for the spool record on disk and the HTTP request body on the wire, so a spooled
 * batch is replayed by streaming its bytes unchanged (sendfile when the addon is there).
 *
 * All integers little-endian. Header 40 bytes, then `length` bytes of payload:
 *
 *   off size field
 *     0   4  magic "ORB1" (0x4f 0x52 0x42 0x31)
 *     4   1  version (1)
 *     5   1  codec of the payload: 0 none, 1 gzip, 2 deflate (raw), 3 brotli
 *     6   1  kind: 1 batch (applied once), 2 definitions only (idempotent, never deduplicated)
 *     7   1  reserved (0)
 *     8   4  length of the payload in bytes (at most 64 MiB)
 *    12   4  CRC-32C of bytes [16, 40 + length): epoch, sequence, agent hash and payload
 *    16   8  epoch (u64; the agent process generation, strictly increasing per agent id)
 *    24   8  sequence (u64; 1, 2, 3... within an epoch; 0 for definitions)
 *    32   8  reserved (0)
 *
 * The payload is the compressed msgpack document described in docs/protocol.md. A request body is one frame or
 * several back to back (a replayed run of spooled records); `splitFrames` reads either into typed frames.
 */
import { crc32c } from './crc32c';

export const FRAME_MAGIC = 0x3142524f; // "ORB1" read as u32 LE
export const FRAME_HEADER_BYTES = 40;
export const FRAME_MAX_PAYLOAD = 64 * 1024 * 1024;
export const FRAME_VERSION = 1;

export enum Codec {
  none = 0,
  gzip = 1,
  deflate = 2,
  brotli = 3,
}

export enum FrameKind {
  batch = 1,
  defs = 2,
}

/** The header fields by name (read once by `parseHeader`; nothing reads them by offset elsewhere). */
export interface FrameHeader {
  codec: Codec;
  kind: FrameKind;
  length: number;
  crc: number;
  epoch: number;
  seq: number;
}

/** Builds a whole frame (header + payload) in one buffer. */
export function encodeFrame(kind: FrameKind, codec: Codec, epoch: number, seq: number, payload: Uint8Array): Buffer {
  if (payload.length > FRAME_MAX_PAYLOAD) throw new RangeError(`payload of ${payload.length} bytes exceeds the frame limit`);
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  buf.writeUInt32LE(FRAME_MAGIC, 0);
  buf[4] = FRAME_VERSION;
  buf[5] = codec;
  buf[6] = kind;
  buf[7] = 0;
  buf.writeUInt32LE(payload.length, 8);
  buf.writeBigUInt64LE(BigInt(epoch), 16);
  buf.writeBigUInt64LE(BigInt(seq), 24);
  buf.writeBigUInt64LE(0n, 32);
  buf.set(payload, FRAME_HEADER_BYTES);
  buf.writeUInt32LE(crc32c(buf, 16, buf.length), 12);
  return buf;
}

export type HeaderCheck = { ok: true; header: FrameHeader } | { ok: false; reason: 'magic' | 'version' | 'codec' | 'kind' | 'length' | 'short' };

/** Parses and sanity-checks a header (not the CRC, which needs the payload). */
export function parseHeader(buf: Uint8Array, off = 0): HeaderCheck {
  if (buf.length - off < FRAME_HEADER_BYTES) return { ok: false, reason: 'short' };
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.readUInt32LE(off) !== FRAME_MAGIC) return { ok: false, reason: 'magic' };
  if (b[off + 4] !== FRAME_VERSION) return { ok: false, reason: 'version' };
  const codec = b[off + 5]!;
  if (codec > 3) return { ok: false, reason: 'codec' };
  const kind = b[off + 6]!;
  if (kind !== 1 && kind !== 2) return { ok: false, reason: 'kind' };
  const length = b.readUInt32LE(off + 8);
  if (length > FRAME_MAX_PAYLOAD) return { ok: false, reason: 'length' };
  return {
    ok: true,
    header: { codec, kind, length, crc: b.readUInt32LE(off + 12), epoch: Number(b.readBigUInt64LE(off + 16)), seq: Number(b.readBigUInt64LE(off + 24)) },
  };
}

/** Whether the frame starting at `off` (header already parsed) has an intact CRC. */
export function checkCrc(buf: Uint8Array, off: number, h: FrameHeader): boolean {
  return crc32c(buf, off + 16, off + FRAME_HEADER_BYTES + h.length) === h.crc;
}

/** One whole frame of a body, its header decoded. */
export interface Frame {
  header: FrameHeader;
  /** The frame's bytes, header included (a view into the body). */
  bytes: Buffer;
  /** The compressed payload (a view into the body). */
  payload: Buffer;
}

export type SplitFrames = { ok: true; frames: Frame[] } | { ok: false; message: string };

/**
 * Splits a request body into whole frames: one frame (the usual request), or several back to back (a replayed run of
 * spooled records). Each frame's header must be sound and its length must fit; the checksum is left to `frameIntact`,
 * so one damaged frame is refused on its own.
 */
export function splitFrames(body: Buffer): SplitFrames {
  const frames: Frame[] = [];
  let off = 0;
  while (off < body.length) {
    const h = parseHeader(body, off);
    if (!h.ok) {
      const why = h.reason === 'short' ? 'body shorter than a header' : h.reason;
      return { ok: false, message: frames.length ? `bad frame header at byte ${off} (${why})` : `bad frame header (${why})` };
    }
    const end = off + FRAME_HEADER_BYTES + h.header.length;
    if (end > body.length) return { ok: false, message: `body is ${body.length} bytes, the frame at byte ${off} says ${end - off}` };
    frames.push({ header: h.header, bytes: body.subarray(off, end), payload: body.subarray(off + FRAME_HEADER_BYTES, end) });
    off = end;
  }
  if (frames.length === 0) return { ok: false, message: 'bad frame header (body shorter than a header)' };
  return { ok: true, frames };
}

/** Whether a split frame's checksum matches its bytes. */
export function frameIntact(f: Frame): boolean {
  return checkCrc(f.bytes, 0, f.header);
}
