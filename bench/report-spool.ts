/**
 * Spool write MB/s with each writer beside `dd oflag=direct conv=fdatasync` on the same disk, and replay MB/s from
 * the segments to a loopback socket, in the same run, ROUNDS times (the figures move a lot on a shared machine).
 *
 * Writers (same frames, same disk; every run ends with an fdatasync, as dd's does; dd runs right before and right
 * after each writer, and the writer's ratio is to the mean of those two):
 *   fs            buffered writes, fdatasync every second (spool.io fs, spool.sync_interval 1 s)
 * Each writer's CPU (all the process's threads: the JS thread, the file's writer thread, libuv's pool) per GB is
 * printed too: on a shared machine it moves much less than MB/s. For the direct writers, where their run's time went
 * (the addon's totals, `directIoTotals`): time inside pwritev (and the rate while in it), in fdatasync, the
 * write-behind thread waiting for staged bytes, appends waiting for the disk.
 *   direct        the addon's O_DIRECT writer with write-behind, flushed every second: the cadence the reporter uses
 *                 (its sync timer, spool.sync_interval; a report flush also flushes, every report.interval, 10 s)
 *   direct/4MB    the same writer flushed after every 4 MB (a stricter cadence: write-through with 4 MB batches)
 *
 * Replay (from page cache, read once before measuring; every mode writes to the same reader, a C program discarding
 * with 4 MiB reads when `cc` is there, else a Node reader):
 *   read+write/record   pread of one record into a buffer, socket.write (how records under sendfile_min_size go)
 *   sendfile/record     one sendfile per record (how replay sent records before runs)
 *   sendfile/run        one sendfile per run of consecutive records up to REPLAY_KB (how replay sends a backlog now)
 *   read+write/run      pread of the same runs, socket.write (the same batching without sendfile)
 * and, per round, the same files sent by a C program (bench/spool-send.c: sendfile runs, then pread + write per record,
 * blocking socket): the ratio the kernel allows here without Node in the way, the bound on the ratio above.
 *
 * Run: node dist/bench/report-spool.js   (MB=256 RECORD_KB=256 ROUNDS=3 REPLAY_KB=16384 DIR=<a directory on the disk>)
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Codec, encodeFrame, FrameKind } from '../agent/wire/frame';
import { RecordRef, Spool } from '../agent/report/spool/spool';
import { contiguousRuns } from '../agent/report/spool/runs';
import { buildC } from './build-c';
import { directSegmentIO, fsSegmentIO, SegmentIO } from '../agent/report/spool/segment-io';
import { nativeStatus } from '../agent/native/loader';
import { directIoTotals, DirectIoTotals } from '../agent/native/direct-io';
import { sendFileNative } from '../agent/native/sendfile';

const MB = Number(process.env.MB ?? 256);
const RECORD_KB = Number(process.env.RECORD_KB ?? 256);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REPLAY_KB = Number(process.env.REPLAY_KB ?? 16384);
const base = fs.mkdtempSync(path.join(process.env.DIR ?? os.tmpdir(), 'outrider-bench-spool-'));

function ddMBps(): number {
  try {
    const r = execFileSync('sh', ['-c', `dd if=/dev/zero of=${path.join(base, 'dd.out')} bs=1M count=${MB} oflag=direct conv=fdatasync 2>&1 >/dev/null`]).toString();
    const m = /(\d+(?:\.\d+)?) s, ([\d.]+) ([MGk]B)\/s/.exec(r);
    if (!m) return NaN;
    return (MB * 1.048576) / Number(m[1]);
  } finally {
    fs.rmSync(path.join(base, 'dd.out'), { force: true });
  }
}

/** Appends n frames; flushes every `everyMs` or every `everyBytes`, and once at the end. */
async function writeRun(name: string, io: SegmentIO, frames: Buffer[], n: number, every: { ms?: number; bytes?: number }): Promise<{ mbps: number; cpuPerGB: number; dir: string; phases: string }> {
  const dir = path.join(base, 'spool-' + name);
  fs.rmSync(dir, { recursive: true, force: true });
  const spool = new Spool({ dir, segmentBytes: 64 << 20, maxBytes: 64 * 2 ** 30, policy: 'stop_accepting', writeThrough: false, maxRecordBytes: 64 << 20, io });
  spool.open();
  const c0 = process.cpuUsage();
  const d0 = io.staged ? directIoTotals() : undefined;
  const t0 = process.hrtime.bigint();
  let lastSync = Date.now();
  let sinceFlush = 0;
  for (let i = 0; i < n; i++) {
    const r = await spool.append(frames[i % frames.length]!, 1, i + 1);
    if (!r.ok) throw new Error(r.reason);
    sinceFlush += frames[0]!.length;
    if ((every.bytes !== undefined && sinceFlush >= every.bytes) || (every.ms !== undefined && Date.now() - lastSync >= every.ms)) {
      if (!(await spool.flush())) throw new Error(`flush failed: ${spool.lastError}`);
      lastSync = Date.now();
      sinceFlush = 0;
    }
  }
  if (!(await spool.flush())) throw new Error(`flush failed: ${spool.lastError}`);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const d1 = d0 && directIoTotals();
  await spool.close();
  const bytes = n * frames[0]!.length;
  return { mbps: bytes / 1e6 / secs, cpuPerGB: (c.user + c.system) / 1e6 / (bytes / 1e9), dir, phases: d0 && d1 ? phases(d0, d1, secs * 1e3) : '' };
}

/** Where a direct writer's run went, from the addon's totals before and after it (segments overlap at a rotation). */
function phases(a: DirectIoTotals, b: DirectIoTotals, runMs: number): string {
  const writeMs = b.writeMs - a.writeMs;
  const gbps = (b.writeBytes - a.writeBytes) / 1e6 / writeMs;
  return (
    `${b.writes - a.writes} writes, in pwritev ${writeMs.toFixed(0)} of ${runMs.toFixed(0)} ms (${gbps.toFixed(2)} GB/s while in it), ` +
    `fdatasync ${(b.syncMs - a.syncMs).toFixed(1)} ms, writer waiting for staged bytes ${(b.writerIdleMs - a.writerIdleMs).toFixed(1)} ms, ` +
    `appends waiting for the disk ${(b.waitMs - a.waitMs).toFixed(0)} ms`
  );
}

interface Sink {
  kind: string;
  /** The C reader (bench/spool-sink.c), not the Node fallback. */
  native: boolean;
  port: number;
  stop(): void;
}

/** The reader, in a child process (as the aggregator would be), so the sender's cost is what is measured. */
async function startSink(): Promise<Sink> {
  const c = buildC('spool-sink');
  const cmd = c ?? process.execPath;
  const args = c !== undefined ? [] : ['-e', "const s=require('net').createServer(c=>c.on('data',()=>{}));s.listen(0,'127.0.0.1',()=>console.log(s.address().port))"];
  const kind = c !== undefined ? 'C reader discarding with recv(MSG_TRUNC), no copy to user space' : 'Node reader (no cc)';
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { kind, native: c !== undefined, port, stop: () => child.kill() };
}

/** One round of the C sender: both modes over the segment files to the sink, by mode. */
function kernelReplay(cmd: string, port: number, files: string[]): Record<string, { mbps: number; cpuPerGB: number }> {
  const out: Record<string, { mbps: number; cpuPerGB: number }> = {};
  const text = execFileSync(cmd, [String(port), String(RECORD_KB), String(REPLAY_KB), ...files], { encoding: 'utf8' });
  for (const line of text.trim().split('\n')) {
    const [mode, mbps, cpu] = line.split(' ');
    if (mode !== undefined) out[mode] = { mbps: Number(mbps), cpuPerGB: Number(cpu) };
  }
  return out;
}

type Mode = 'read+write/record' | 'sendfile/record' | 'sendfile/run' | 'read+write/run';

async function replayRun(sink: Sink, spool: Spool, records: RecordRef[], mode: Mode): Promise<{ mbps: number; cpuPerGB: number; calls: number }> {
  const sock = net.connect(sink.port, '127.0.0.1');
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const perRecord = mode.endsWith('/record');
  const units = perRecord ? records.map((r) => [r]) : contiguousRuns(records, REPLAY_KB * 1024);
  let bytes = 0;
  const fds = new Map<string, number>();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const unit of units) {
    const first = unit[0]!;
    const length = unit.reduce((n, r) => n + r.length, 0);
    if (mode.startsWith('sendfile')) {
      let fd = fds.get(first.segment.path);
      if (fd === undefined) fds.set(first.segment.path, (fd = fs.openSync(first.segment.path, 'r')));
      await sendFileNative(sock, fd, { offset: first.offset, length });
    } else if (!sock.write(spool.read({ ...first, length }))) {
      await new Promise((r) => sock.once('drain', r));
    }
    bytes += length;
  }
  await new Promise<void>((r) => sock.end(r));
  for (const fd of fds.values()) fs.closeSync(fd);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { mbps: bytes / 1e6 / secs, cpuPerGB: (c.user + c.system) / 1e6 / (bytes / 1e9), calls: units.length };
}

const range = (xs: number[], digits = 0) => (xs.length ? `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}` : 'n/a');

async function main(): Promise<void> {
  const payload = Buffer.alloc(RECORD_KB * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const n = Math.floor((MB * 1024) / RECORD_KB);
  const frames = Array.from({ length: 8 }, (_, i) => encodeFrame(FrameKind.batch, Codec.none, 1, i + 1, payload));
  console.log(`${MB} MB in ${RECORD_KB} KiB records, ${ROUNDS} rounds; native addon: ${nativeStatus().available}; dir ${base}`);

  const ratios = new Map<string, number[]>();
  const rates = new Map<string, number[]>();
  const cpus = new Map<string, number[]>();
  const dds: number[] = [];
  let directDir = '';
  const phaseLines: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // dd right before and right after each writer: its ratio is to the mean of those two (the disk drifts).
    let ddBefore = ddMBps();
    dds.push(ddBefore);
    const line: string[] = [`dd ${ddBefore.toFixed(0)}`];
    for (const [name, io, every] of [
      ['fs', fsSegmentIO, { ms: 1000 }],
      ['direct', directSegmentIO, { ms: 1000 }],
      ['direct/4MB', directSegmentIO, { bytes: 4 << 20 }],
    ] as const) {
      const r = await writeRun(name.replace('/', '-'), io, frames, n, every);
      const ddAfter = ddMBps();
      dds.push(ddAfter);
      const dd = (ddBefore + ddAfter) / 2;
      ddBefore = ddAfter;
      if (name === 'direct') directDir = r.dir;
      (ratios.get(name) ?? ratios.set(name, []).get(name)!).push(r.mbps / dd);
      (rates.get(name) ?? rates.set(name, []).get(name)!).push(r.mbps);
      (cpus.get(name) ?? cpus.set(name, []).get(name)!).push(r.cpuPerGB);
      line.push(`${name} ${r.mbps.toFixed(0)} (${(r.mbps / dd).toFixed(2)}×)`, `dd ${ddAfter.toFixed(0)}`);
      if (r.phases && process.env.PHASES !== '0') phaseLines.push(`  ${name}: ${r.phases}`);
    }
    console.log(`round ${round} MB/s: ${line.join(', ')}`);
    for (const l of phaseLines.splice(0)) console.log(l);
  }
  console.log(`write: dd oflag=direct ${range(dds)} MB/s`);
  for (const [name, xs] of ratios) {
    const target = name === 'direct' ? ' (target >= 0.8)' : '';
    console.log(`  spool ${name.padEnd(11)} ${range(rates.get(name)!)} MB/s = ${range(xs, 2)}× dd${target}, CPU ${range(cpus.get(name)!, 2)} s/GB`);
  }

  // Replay from the direct segments of the last round, warm in the page cache for every mode alike.
  const spool = new Spool({ dir: directDir, segmentBytes: 64 << 20, maxBytes: 64 * 2 ** 30, policy: 'stop_accepting', writeThrough: false, maxRecordBytes: 64 << 20 });
  const { records } = spool.open();
  for (const seg of new Set(records.map((r) => r.segment.path))) fs.readFileSync(seg);
  const sink = await startSink();
  const modes: Mode[] = ['read+write/record', 'sendfile/record', 'sendfile/run', 'read+write/run'];
  const got = new Map<Mode, Array<{ mbps: number; cpuPerGB: number; calls: number }>>();
  const sender = buildC('spool-send');
  const segments = [...new Set(records.map((r) => r.segment.path))];
  const kernel: Array<Record<string, { mbps: number; cpuPerGB: number }>> = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes) {
      if (mode.startsWith('sendfile') && !nativeStatus().available) continue;
      (got.get(mode) ?? got.set(mode, []).get(mode)!).push(await replayRun(sink, spool, records, mode));
    }
    if (sender !== undefined && sink.native) kernel.push(kernelReplay(sender, sink.port, segments));
  }
  sink.stop();
  await spool.close();
  console.log(`replay (${sink.kind}; runs of consecutive records up to ${REPLAY_KB} KiB):`);
  for (const [mode, rs] of got) {
    console.log(
      `  ${mode.padEnd(18)} ${range(rs.map((r) => r.mbps))} MB/s, sender CPU ${range(
        rs.map((r) => r.cpuPerGB),
        2,
      )} s/GB, ${rs[0]!.calls} calls`,
    );
  }
  const base1 = got.get('read+write/record');
  const runs = got.get('sendfile/run');
  const rwRuns = got.get('read+write/run');
  if (base1 && runs && rwRuns) {
    const each = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
    const ratio = (a: typeof runs, b: typeof runs) => a.map((r, i) => r.mbps / b[i]!.mbps);
    const cpu = (a: typeof runs, b: typeof runs) => a.map((r, i) => b[i]!.cpuPerGB / r.cpuPerGB);
    console.log(`  sendfile/run ÷ read+write/record, per round: ${each(ratio(runs, base1))}× throughput (target >= 2), ${each(cpu(runs, base1))}× less sender CPU`);
    console.log(`  sendfile/run ÷ read+write/run,    per round: ${each(ratio(runs, rwRuns))}× throughput, ${each(cpu(runs, rwRuns))}× less sender CPU`);
    const k = kernel.filter((r) => r['sendfile/run'] !== undefined && r['read+write/record'] !== undefined);
    if (k.length > 0) {
      // The same two ways of sending from a C program (bench/spool-send.c): the ratio the kernel itself allows here.
      console.log(
        `  the kernel's own, C sender on a blocking socket (bench/spool-send.c), same files and sink: sendfile/run ${range(k.map((r) => r['sendfile/run']!.mbps))} MB/s, read+write/record ${range(k.map((r) => r['read+write/record']!.mbps))} MB/s`,
      );
      console.log(`    C sendfile/run ÷ C read+write/record, per round: ${each(k.map((r) => r['sendfile/run']!.mbps / r['read+write/record']!.mbps))}× throughput (the bound on the ratio above)`);
      console.log(`    the agent's sendfile/run ÷ C sendfile/run, per round: ${each(runs.slice(0, k.length).map((r, i) => r.mbps / k[i]!['sendfile/run']!.mbps))}×`);
    }
  }
  fs.rmSync(base, { recursive: true, force: true });
}

void main();
