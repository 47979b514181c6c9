/**
 * The local history on disk, so a restart keeps the last hour: `<history.state_dir>/history.bin`, written every
 * history.save_interval and on stop (off the sampling path: the snapshot copies chunk references, the write is
 * asynchronous), read once when the history starts empty. Written to a temporary file, fsynced and renamed, so a
 * crash leaves the old file or the new one. A file that is damaged, too large or of another version is counted and
 * ignored: the history starts empty, the agent runs on.
 *
 * Layout (little-endian):
 *   8 bytes  magic "OUTRHST1"
 *   u32      CRC-32 of every byte after this field
 *   f64      time of the save (ms since the epoch)
 *   u32 n    rounds, then n × f64 round times (oldest first, increasing)
 *   u32 m    series, then per series:
 *            u32 length + the labels as UTF-8 JSON (with __name__)
 *            u32 k chunks, then per chunk: u32 first round (index into the round times), u32 samples,
 *            u32 length + the chunk's bytes (xor-chunk.ts)
 * The file is bounded by the history it was written from: at most history.max_bytes of chunks, plus labels.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { OutriderError } from '../core/errors';
import { syncDir } from '../core/fs-sync';
import type { HistorySnapshot, SnapshotSeries } from './history';

export const stateFileName = 'history.bin';
const MAGIC = Buffer.from('OUTRHST1', 'latin1');
const HEADER = MAGIC.length + 4;

export function encodeSnapshot(snap: HistorySnapshot, savedAtMs: number): Buffer {
  const labelBufs = snap.series.map((s) => Buffer.from(JSON.stringify(s.labels), 'utf8'));
  let size = HEADER + 8 + 4 + 8 * snap.roundTimesMs.length + 4;
  snap.series.forEach((s, i) => {
    size += 4 + labelBufs[i]!.length + 4;
    for (const c of s.chunks) size += 12 + c.bytes.length;
  });
  const b = Buffer.alloc(size);
  MAGIC.copy(b, 0);
  let o = HEADER;
  o = b.writeDoubleLE(savedAtMs, o);
  o = b.writeUInt32LE(snap.roundTimesMs.length, o);
  for (const t of snap.roundTimesMs) o = b.writeDoubleLE(t, o);
  o = b.writeUInt32LE(snap.series.length, o);
  snap.series.forEach((s, i) => {
    o = b.writeUInt32LE(labelBufs[i]!.length, o);
    o += labelBufs[i]!.copy(b, o);
    o = b.writeUInt32LE(s.chunks.length, o);
    for (const c of s.chunks) {
      o = b.writeUInt32LE(c.firstRound, o);
      o = b.writeUInt32LE(c.count, o);
      o = b.writeUInt32LE(c.bytes.length, o);
      b.set(c.bytes, o);
      o += c.bytes.length;
    }
  });
  b.writeUInt32LE(zlib.crc32(b.subarray(HEADER)), MAGIC.length);
  return b;
}

function bad(what: string): never {
  throw new OutriderError('OUTRIDER_ERR_HISTORY_STATE', `not a history state file: ${what}`);
}

/** Decodes a file written by encodeSnapshot; throws OUTRIDER_ERR_HISTORY_STATE, naming the problem, on any other. */
export function decodeSnapshot(b: Buffer): { savedAtMs: number; snapshot: HistorySnapshot } {
  if (b.length < HEADER + 16 || !b.subarray(0, MAGIC.length).equals(MAGIC)) bad('wrong magic or version');
  if (zlib.crc32(b.subarray(HEADER)) !== b.readUInt32LE(MAGIC.length)) bad('checksum mismatch');
  let o = HEADER;
  const need = (n: number) => {
    if (o + n > b.length) bad('truncated');
  };
  const u32 = () => {
    need(4);
    const v = b.readUInt32LE(o);
    o += 4;
    return v;
  };
  need(8);
  const savedAtMs = b.readDoubleLE(o);
  o += 8;
  const nRounds = u32();
  need(8 * nRounds);
  const roundTimesMs = new Float64Array(nRounds);
  for (let i = 0; i < nRounds; i++, o += 8) {
    roundTimesMs[i] = b.readDoubleLE(o);
    if (!Number.isFinite(roundTimesMs[i]) || (i > 0 && !(roundTimesMs[i]! > roundTimesMs[i - 1]!))) bad('round times not increasing');
  }
  const nSeries = u32();
  const series: SnapshotSeries[] = [];
  for (let i = 0; i < nSeries; i++) {
    const len = u32();
    need(len);
    let labels: unknown;
    try {
      labels = JSON.parse(b.toString('utf8', o, o + len));
    } catch {
      bad('labels are not JSON');
    }
    o += len;
    if (!labels || typeof labels !== 'object' || Array.isArray(labels) || !Object.values(labels).every((v) => typeof v === 'string')) bad('labels are not a map of strings');
    if (typeof (labels as Record<string, string>)['__name__'] !== 'string') bad('a series without __name__');
    const nChunks = u32();
    const chunks: SnapshotSeries['chunks'][number][] = [];
    for (let k = 0; k < nChunks; k++) {
      const firstRound = u32();
      const count = u32();
      const bytes = u32();
      if (count < 1 || firstRound + count > nRounds) bad('a chunk outside the rounds');
      need(bytes);
      chunks.push({ firstRound, count, bytes: new Uint8Array(b.subarray(o, o + bytes)) });
      o += bytes;
    }
    series.push({ labels: labels as Record<string, string>, chunks });
  }
  if (o !== b.length) bad('trailing bytes');
  return { savedAtMs, snapshot: { roundTimesMs, series } };
}

/** Writes the snapshot (temporary file, fsync, rename, directory fsync). */
export async function writeSnapshot(dir: string, snap: HistorySnapshot, savedAtMs: number): Promise<number> {
  const data = encodeSnapshot(snap, savedAtMs);
  await fs.promises.mkdir(dir, { recursive: true });
  const file = path.join(dir, stateFileName);
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  syncDir(dir);
  return data.length;
}

/** Reads the state file: undefined when there is none; throws OUTRIDER_ERR_HISTORY_STATE when it is unusable. */
export function readSnapshot(dir: string, maxFileBytes: number): { savedAtMs: number; snapshot: HistorySnapshot } | undefined {
  const file = path.join(dir, stateFileName);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OutriderError('OUTRIDER_ERR_HISTORY_STATE', `cannot read ${file}: ${(err as Error).message}`);
  }
  if (size > maxFileBytes) throw new OutriderError('OUTRIDER_ERR_HISTORY_STATE', `${file} is ${size} bytes, more than the ${maxFileBytes} the history's bounds allow`);
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    throw new OutriderError('OUTRIDER_ERR_HISTORY_STATE', `cannot read ${file}: ${(err as Error).message}`);
  }
  return decodeSnapshot(data);
}
