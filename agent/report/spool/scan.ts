/**
 * Recovery scan of one segment file with a bounded read buffer: every intact record is reported in order; a record
 * whose CRC fails in the middle of the file is skipped (counted) and the scan resynchronises on the next magic; a torn
 * tail (a record cut short, or garbage after the last intact record) is reported so the caller truncates it. The
 * scanner always moves forward, so a corrupt record can never make it loop.
 */
import fs from 'node:fs';
import { checkCrc, FRAME_HEADER_BYTES, FrameHeader, parseHeader } from '../../wire/frame';

export interface ScannedRecord {
  offset: number;
  /** Whole frame length (header + payload). */
  length: number;
  header: FrameHeader;
}

export interface ScanResult {
  records: ScannedRecord[];
  /** Offset just past the last intact record: the file is truncated here. */
  goodEnd: number;
  fileSize: number;
  /** Records skipped for a bad checksum or header in the middle of the file. */
  corrupt: number;
  /** Whether bytes after the last intact record were cut off. */
  torn: boolean;
}

const MAGIC = Buffer.from('ORB1', 'latin1');

/** Scans `[0, end)` of the file (end: the logical length of a direct-I/O segment; default the file size). */
export function scanSegment(path: string, maxRecordBytes: number, end?: number): ScanResult {
  const fd = fs.openSync(path, 'r');
  try {
    const fileSize = Math.min(end ?? Infinity, fs.fstatSync(fd).size);
    const out: ScanResult = { records: [], goodEnd: 0, fileSize, corrupt: 0, torn: false };
    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    let off = 0;
    let buf = Buffer.allocUnsafe(Math.min(maxRecordBytes, 1 << 20));
    // Past a bad record: on to the next magic (counted corrupt), or, with none left, the tail is torn.
    const resync = (): boolean => {
      const next = findMagic(fd, off + 1, fileSize);
      if (next < 0) {
        out.torn = true;
        return false;
      }
      out.corrupt++;
      off = next;
      return true;
    };
    while (off < fileSize) {
      const n = fs.readSync(fd, head, 0, FRAME_HEADER_BYTES, off);
      const h = n === FRAME_HEADER_BYTES ? parseHeader(head) : ({ ok: false, reason: 'short' } as const);
      if (!h.ok || FRAME_HEADER_BYTES + h.header.length > maxRecordBytes || off + FRAME_HEADER_BYTES + h.header.length > fileSize) {
        // Either garbage in the middle (a later magic leads to intact records) or a torn tail.
        if (!resync()) break;
        continue;
      }
      const total = FRAME_HEADER_BYTES + h.header.length;
      if (buf.length < total) buf = Buffer.allocUnsafe(total);
      let got = 0;
      while (got < total) {
        const r = fs.readSync(fd, buf, got, total - got, off + got);
        if (r === 0) break;
        got += r;
      }
      if (got < total || !checkCrc(buf, 0, h.header)) {
        if (!resync()) break;
        continue;
      }
      out.records.push({ offset: off, length: total, header: h.header });
      off += total;
      out.goodEnd = off;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Offset of the next magic at or after `from`, or -1. Reads in 64 KiB steps. */
function findMagic(fd: number, from: number, fileSize: number): number {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let pos = from;
  while (pos < fileSize) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, pos);
    if (n <= 0) return -1;
    const i = chunk.subarray(0, n).indexOf(MAGIC);
    if (i >= 0) return pos + i;
    if (n < MAGIC.length) return -1;
    pos += n - (MAGIC.length - 1);
  }
  return -1;
}
