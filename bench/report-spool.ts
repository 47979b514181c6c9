/**
 * Spool write MB/s with each writer (`fs`: buffered writes + fdatasync every second, as spool.sync_interval 1s does;
 * `direct`: the addon's O_DIRECT writer flushed every 4 MB, as per-flush syncing does) beside `dd oflag=direct` on the
 * same disk; replay MB/s from the segments to a loopback socket with sendfile (the addon) and with read-and-write.
 * Run: node dist/bench/report-spool.js   (MB=256 RECORD_KB=256 DIR=<a directory on the disk to measure>)
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Codec, encodeFrame, FrameKind } from '../agent/report/frame';
import { Spool } from '../agent/report/spool/spool';
import { directSegmentIO, fsSegmentIO, SegmentIO } from '../agent/report/spool/segment-io';
import { nativeStatus } from '../agent/native/loader';
import { sendFileNative } from '../agent/native/sendfile';

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

async function writeRun(io: SegmentIO, frames: Buffer[], n: number): Promise<{ mbps: number; dir: string }> {
  const dir = path.join(base, 'spool-' + io.name);
  const spool = new Spool({ dir, segmentBytes: 64 << 20, maxBytes: 64 * 2 ** 30, policy: 'stop_accepting', writeThrough: false, maxRecordBytes: 64 << 20, io });
  spool.open();
  const t0 = process.hrtime.bigint();
  let lastSync = Date.now();
  let sinceFlush = 0;
  for (let i = 0; i < n; i++) {
    const r = await spool.append(frames[i % frames.length]!, 1, i + 1);
    if (!r.ok) throw new Error(r.reason);
    sinceFlush += frames[0]!.length;
    if ((io.staged && sinceFlush >= 4 << 20) || (!io.staged && Date.now() - lastSync >= 1000)) {
      await spool.flush();
      lastSync = Date.now();
      sinceFlush = 0;
    }
  }
  await spool.flush();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await spool.close();
  return { mbps: (n * frames[0]!.length) / 1e6 / secs, dir };
}

/** A reader in a child process (as the aggregator would be), so the sender's cost is what is measured. */
async function startSink(): Promise<{ port: number; stop(): void }> {
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer(c=>c.resume());s.listen(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { port, stop: () => child.kill() };
}

async function replayRun(dir: string, useSendfile: boolean): Promise<{ mbps: number; cpuPerGB: number }> {
  const sink = await startSink();
  const sock = net.connect(sink.port, '127.0.0.1');
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const re = new Spool({ dir, segmentBytes: 64 << 20, maxBytes: 64 * 2 ** 30, policy: 'stop_accepting', writeThrough: false, maxRecordBytes: 64 << 20 });
  const { records } = re.open();
  let bytes = 0;
  const fds = new Map<string, number>();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const ref of records) {
    let fd = fds.get(ref.segment.path);
    if (useSendfile && fd === undefined) fds.set(ref.segment.path, (fd = fs.openSync(ref.segment.path, 'r')));
    if (useSendfile) await sendFileNative(sock, fd!, { offset: ref.offset, length: ref.length });
    else if (!sock.write(re.read(ref))) await new Promise((r) => sock.once('drain', r));
    bytes += ref.length;
  }
  await new Promise<void>((r) => sock.end(r));
  for (const fd of fds.values()) fs.closeSync(fd);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  sink.stop();
  await re.close();
  return { mbps: bytes / 1e6 / secs, cpuPerGB: (c.user + c.system) / 1e6 / (bytes / 1e9) };
}

async function main(): Promise<void> {
  const payload = Buffer.alloc(RECORD_KB * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const n = Math.floor((MB * 1024) / RECORD_KB);
  const frames = Array.from({ length: 8 }, (_, i) => encodeFrame(FrameKind.batch, Codec.none, 1, i + 1, payload));
  const ddRate = ddMBps();
  const fsRun = await writeRun(fsSegmentIO, frames, n);
  const dioRun = await writeRun(directSegmentIO, frames, n);
  const ddRate2 = ddMBps();
  const dd = (ddRate + ddRate2) / 2;
  console.log(`${MB} MB in ${RECORD_KB} KiB records; dd oflag=direct (before/after): ${ddRate.toFixed(0)}/${ddRate2.toFixed(0)} MB/s`);
  console.log(`spool write fs:     ${fsRun.mbps.toFixed(0)} MB/s = ${(fsRun.mbps / dd).toFixed(2)} of dd`);
  console.log(`spool write direct: ${dioRun.mbps.toFixed(0)} MB/s = ${(dioRun.mbps / dd).toFixed(2)} of dd (target >= 0.8; native: ${nativeStatus().available})`);
  // Replay from the direct segments, with a cold-ish cache for neither (both read what was just written).
  const runs: Array<[string, boolean]> = [['read-and-write', false], ['sendfile', true], ['read-and-write', false], ['sendfile', true]];
  const best = new Map<string, { mbps: number; cpuPerGB: number }>();
  for (const [name, sf] of runs) {
    if (sf && !nativeStatus().available) continue;
    const r = await replayRun(dioRun.dir, sf);
    const b = best.get(name);
    if (!b || r.mbps > b.mbps) best.set(name, r);
  }
  for (const [name, r] of best) console.log(`replay ${name.padEnd(15)} ${r.mbps.toFixed(0)} MB/s, sender CPU ${r.cpuPerGB.toFixed(2)} s/GB`);
  const a = best.get('sendfile');
  const b = best.get('read-and-write')!;
  if (a) console.log(`sendfile / read-and-write: ${(a.mbps / b.mbps).toFixed(2)}x throughput, ${(b.cpuPerGB / a.cpuPerGB).toFixed(2)}x less sender CPU per GB (target >= 2x)`);
  fs.rmSync(base, { recursive: true, force: true });
}

void main();
