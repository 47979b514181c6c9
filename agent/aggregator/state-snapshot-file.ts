/**
 * The state snapshot file (format in state-snapshot.ts): written off the event loop in bounded slices and read back
 * frame by frame.
 *
 * Writing takes a slice of the series (at most `sliceWeight`, see SliceBudget) per turn of the event loop, appends it
 * to `snapshot.tmp` with an asynchronous write (libuv's thread pool) and yields, so ingest goes on between slices.
 * The state changes while it is written: each series is whatever it was when its slice was taken (a fuzzy
 * snapshot). The state store makes that sound: its log was rotated before the first slice, replaying a log entry
 * overwrites (so the later log replays over any mix of older and newer values), and `beforeRename` waits until every
 * entry recorded before the last slice is durable. Then the file is fsync'd, renamed over `snapshot` and the
 * directory fsync'd.
 *
 * Reading takes one frame at a time from the file (no whole-file buffer, no whole-state intermediate).
 */
import fs from 'node:fs';
import path from 'node:path';
import { syncDirAsync } from '../core/fs-sync';
import { crc32c } from '../wire/crc32c';
import type { AgentState, SeriesState } from './state-model';
import { agentsFrame, endFrame, headFrame, MAX_FRAME_BYTES, readFrame, readLegacySnapshot, rowsFrame, SNAPSHOT_MAGIC, SnapshotMeta } from './state-snapshot';

export interface SnapshotWrite {
  gen: number;
  agents: ReadonlyMap<string, AgentState>;
  recentOf: (id: string) => ReadonlySet<number> | undefined;
  series: ReadonlyMap<string, SeriesState>;
  /** Most work per slice (scalar series count 1, others 8 + their numbers; agents count their applied sequences). */
  sliceWeight: number;
  /** Awaited after the last slice, before the rename (the store makes its log durable up to here). */
  beforeRename: () => Promise<void>;
}

/** What writing a snapshot took. */
export interface SnapshotStats {
  series: number;
  agents: number;
  bytes: number;
  /** Slices taken, each in its own turn of the event loop. */
  slices: number;
  /** Longest time one slice held the event loop, ms. */
  longestSliceMs: number;
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** Writes `snapshot` in `dir` as described above; resolves once it is durable under its name. */
export async function writeSnapshotFile(dir: string, w: SnapshotWrite): Promise<SnapshotStats> {
  const tmp = path.join(dir, 'snapshot.tmp');
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  const stats: SnapshotStats = { series: 0, agents: 0, bytes: 0, slices: 0, longestSliceMs: 0 };
  const put = async (b: Buffer) => {
    stats.bytes += b.length;
    for (let off = 0; off < b.length;) off += (await fh.write(b, off, b.length - off)).bytesWritten;
  };
  const slice = <T>(take: () => T): T => {
    const t0 = performance.now();
    const r = take();
    stats.slices++;
    stats.longestSliceMs = Math.max(stats.longestSliceMs, performance.now() - t0);
    return r;
  };
  try {
    await put(Buffer.concat([SNAPSHOT_MAGIC, headFrame(w.gen)]));
    const it = w.series.entries();
    for (;;) {
      const r = slice(() => rowsFrame(it, w.sliceWeight));
      if (!r) break;
      stats.series += r.series;
      await put(r.frame);
      await nextTurn();
    }
    const ids = [...w.agents.keys()];
    for (let i = 0; i < ids.length;) {
      const b = slice(() => {
        const batch: AgentState[] = [];
        for (let weight = 0; i < ids.length && weight < w.sliceWeight; i++) {
          const a = w.agents.get(ids[i]!);
          if (!a) continue;
          batch.push(a);
          weight += 8 + (w.recentOf(a.id)?.size ?? 0);
        }
        stats.agents += batch.length;
        return agentsFrame(batch, (id) => w.recentOf(id) ?? []);
      });
      await put(b);
      await nextTurn();
    }
    await put(endFrame(stats.series, stats.agents));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await w.beforeRename();
  await fs.promises.rename(tmp, path.join(dir, 'snapshot'));
  await syncDirAsync(dir);
  return stats;
}

/** Reads the snapshot at `file` (any format): its generation and agents, each series handed to `put`. */
export function readSnapshotFile(file: string, put: (key: string, st: SeriesState) => void): SnapshotMeta {
  const fd = fs.openSync(file, 'r');
  try {
    const magic = Buffer.alloc(SNAPSHOT_MAGIC.length);
    const got = fs.readSync(fd, magic, 0, magic.length, 0);
    if (got < magic.length || !magic.equals(SNAPSHOT_MAGIC)) return readLegacySnapshot(fs.readFileSync(file), put);
    const into = { gen: 0, agents: [] as AgentState[], series: 0 };
    const hdr = Buffer.alloc(8);
    let pos = magic.length;
    let body = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      if (fs.readSync(fd, hdr, 0, 8, pos) < 8) throw new Error(`snapshot ends without its end frame at byte ${pos}`);
      const len = hdr.readUInt32LE(0);
      if (len < 1 || len > MAX_FRAME_BYTES) throw new Error(`snapshot frame of ${len} bytes at byte ${pos}`);
      if (body.length < len) body = Buffer.allocUnsafe(Math.max(len, 2 * body.length));
      if (fs.readSync(fd, body, 0, len, pos + 8) < len) throw new Error(`snapshot ends inside a frame at byte ${pos}`);
      // The frame's buffer is reused: readFrame copies what it keeps (msgpackr hands out binaries as views).
      const b = body.subarray(0, len);
      if (crc32c(b) !== hdr.readUInt32LE(4)) throw new Error(`snapshot frame at byte ${pos} fails its checksum`);
      pos += 8 + len;
      if (readFrame(b, into, put)) return { gen: into.gen, agents: into.agents };
    }
  } finally {
    fs.closeSync(fd);
  }
}
