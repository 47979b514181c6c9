/**
 * Spool write MB/s (the TypeScript twin: fs writes + fdatasync every second, as spool.sync_interval 1s does) beside
 * `dd oflag=direct` on the same disk, and replay MB/s reading records back and writing them to a loopback socket
 * (the read-and-write path; the sendfile path needs the native addon).
 * Run: node dist/bench/report-spool.js   (MB=256 RECORD_KB=256 DIR=<a directory on the disk to measure>)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Codec, encodeFrame, FrameKind } from '../agent/report/frame';
import { Spool } from '../agent/report/spool/spool';

const MB = Number(process.env.MB ?? 256);
const RECORD_KB = Number(process.env.RECORD_KB ?? 256);
const base = fs.mkdtempSync(path.join(process.env.DIR ?? os.tmpdir(), 'outrider-bench-spool-'));

function ddMBps(): number {
  try {
    const r = execFileSync('sh', ['-c', `dd if=/dev/zero of=${path.join(base, 'dd.out')} bs=1M count=${MB} oflag=direct conv=fdatasync 2>&1 >/dev/null`]).toString();
    const m = /(\d+(?:\.\d+)?) s, ([\d.]+) ([MGk]B)\/s/.exec(r);
    if (!m) return NaN;
    const secs = Number(m[1]);
    return MB * 1.048576 / secs;
  } finally {
    fs.rmSync(path.join(base, 'dd.out'), { force: true });
  }
}

async function main(): Promise<void> {
  const payload = Buffer.alloc(RECORD_KB * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const n = Math.floor((MB * 1024) / RECORD_KB);
  const frames = Array.from({ length: 8 }, (_, i) => encodeFrame(FrameKind.batch, Codec.none, 1, i + 1, payload));
  const dir = path.join(base, 'spool');
  const spool = new Spool({ dir, segmentBytes: 64 << 20, maxBytes: 64 * 2 ** 30, policy: 'stop_accepting', writeThrough: false, maxRecordBytes: 64 << 20 });
  spool.open();
  const t0 = process.hrtime.bigint();
  let lastSync = Date.now();
  for (let i = 0; i < n; i++) {
    const r = await spool.append(frames[i % 8]!, 1, i + 1);
    if (!r.ok) throw new Error(r.reason);
    if (Date.now() - lastSync >= 1000) {
      await spool.flush();
      lastSync = Date.now();
    }
  }
  await spool.flush();
  const writeS = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = n * frames[0]!.length;
  await spool.close();
  const ddRate = ddMBps();

  // Replay: reopen (scan + CRC check), then read every record and write it to a loopback socket.
  const sink = net.createServer((s) => s.resume());
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sock = net.connect((sink.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const t1 = process.hrtime.bigint();
  const re = new Spool({ dir, segmentBytes: 64 << 20, maxBytes: 64 * 2 ** 30, policy: 'stop_accepting', writeThrough: false, maxRecordBytes: 64 << 20 });
  const { records } = re.open();
  const t2 = process.hrtime.bigint();
  for (const ref of records) {
    if (!sock.write(re.read(ref))) await new Promise((r) => sock.once('drain', r));
  }
  await new Promise<void>((r) => sock.end(r));
  const t3 = process.hrtime.bigint();
  sink.close();
  await re.close();
  const mb = bytes / 1e6;
  const w = mb / writeS;
  console.log(`spool write: ${mb.toFixed(0)} MB in ${writeS.toFixed(2)} s = ${w.toFixed(0)} MB/s (fs + fdatasync every 1 s); dd oflag=direct: ${ddRate.toFixed(0)} MB/s; ratio ${(w / ddRate).toFixed(2)} (target >= 0.8)`);
  console.log(`recovery scan (CRC over every record): ${(mb / (Number(t2 - t1) / 1e9)).toFixed(0)} MB/s; replay read-and-write to a loopback socket: ${(mb / (Number(t3 - t2) / 1e9)).toFixed(0)} MB/s; sendfile: not measured (needs the native addon)`);
  fs.rmSync(base, { recursive: true, force: true });
}

void main();
