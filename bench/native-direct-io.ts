// Direct I/O append file vs buffered writes + fdatasync at the same
// durability (a flush every 1 MiB): MB/s and write amplification (bytes the
// block device wrote, from /sys/dev/block/<dev>/stat, per logical byte).
//   node dist/bench/native-direct-io.js [dir] [MiB]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nativeStatus, openAppendFileNative, openAppendFileTwin, type AppendFile } from '../agent/native';
import { header, now, row } from './native-common';

function deviceWrittenBytes(dir: string): number | null {
  const st = fs.statSync(dir);
  const major = Math.floor(st.dev / 256) & 0xfff;
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
  try {
    const fields = fs.readFileSync(`/sys/dev/block/${major}:${minor}/stat`, 'utf8').trim().split(/\s+/);
    return Number(fields[6]) * 512;
  } catch {
    return null;
  }
}

async function run(label: string, f: AppendFile, mib: number, recordBytes: number, flushEvery: number, dir: string): Promise<string[]> {
  const rec = Buffer.alloc(recordBytes, 0x5a);
  const total = mib * 2 ** 20;
  const dev0 = deviceWrittenBytes(dir);
  const t0 = now();
  let written = 0;
  let sinceFlush = 0;
  while (written < total) {
    f.append(rec);
    written += rec.length;
    sinceFlush += rec.length;
    if (sinceFlush >= flushEvery) {
      await f.flush();
      sinceFlush = 0;
    }
  }
  await f.flush();
  const secs = now() - t0;
  const dev1 = deviceWrittenBytes(dir);
  const direct = f.directIo;
  const bs = f.blockSize;
  await f.close();
  const amp = dev0 !== null && dev1 !== null ? ((dev1 - dev0) / written).toFixed(2) : 'n/a';
  return [label, direct ? `yes (${bs} B blocks)` : 'no', String(recordBytes), `${(flushEvery / 1024).toFixed(0)} KiB`, (written / 1e6 / secs).toFixed(0), amp];
}

async function main(): Promise<void> {
  header('direct I/O append vs buffered + fdatasync');
  const dir = fs.mkdtempSync(path.join(process.argv[2] ?? os.tmpdir(), 'outrider-bench-dio-'));
  const mib = Number(process.argv[3] ?? 256);
  console.log(`# dir ${dir}, ${mib} MiB per run`);
  row(['method', 'O_DIRECT', 'record B', 'flush every', 'MB/s', 'device bytes / logical byte']);
  row(['---', '---', '---', '---', '---', '---']);
  try {
    for (const [recordBytes, flushEvery] of [
      [4096, 1 << 20],
      [200, 64 << 10],
    ] as const) {
      if (nativeStatus().available) {
        row(await run('native O_DIRECT + fdatasync', await openAppendFileNative(path.join(dir, `n-${recordBytes}`)), mib, recordBytes, flushEvery, dir));
        row(await run('native O_DIRECT + O_DSYNC', await openAppendFileNative(path.join(dir, `d-${recordBytes}`), { dsync: true }), mib, recordBytes, flushEvery, dir));
      }
      row(await run('buffered fs + fdatasync (twin)', await openAppendFileTwin(path.join(dir, `t-${recordBytes}`)), mib, recordBytes, flushEvery, dir));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
