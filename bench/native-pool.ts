// Thread pool: task round-trip latency and throughput of the native pool
// against worker_threads doing the same work (node:zlib gzip, TS snappy,
// table CRC-32C inside the workers).
//   node dist/bench/native-pool.js
import os from 'node:os';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import zlib from 'node:zlib';
import { crc32cTs, NativeThreadPool, nativeStatus, snappyCompressTs } from '../agent/native';
import { fmt, header, now, row } from './native-common';

type Job = { id: number; kind: 'crc' | 'gzip' | 'snappy'; data: Uint8Array };

function workerMain(): void {
  parentPort!.on('message', (j: Job) => {
    const r = j.kind === 'crc' ? crc32cTs(j.data) : j.kind === 'gzip' ? zlib.gzipSync(j.data, { level: 6 }) : snappyCompressTs(j.data);
    parentPort!.postMessage({ id: j.id, r });
  });
}

class WorkerPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, (v: unknown) => void>();
  private next = 0;
  private rr = 0;
  constructor(n: number) {
    this.workers = Array.from({ length: n }, () => {
      const w = new Worker(__filename);
      w.on('message', (m: { id: number; r: unknown }) => {
        this.pending.get(m.id)!(m.r);
        this.pending.delete(m.id);
      });
      return w;
    });
  }
  run(kind: Job['kind'], data: Uint8Array): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.workers[this.rr++ % this.workers.length]!.postMessage({ id, kind, data });
    });
  }
  close(): Promise<number[]> {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function payload(n: number): Buffer {
  const line = 'node_cpu_seconds_total{cpu="0",mode="idle"} 123456.78 1700000000000\n';
  return Buffer.from(line.repeat(Math.ceil(n / line.length)).slice(0, n));
}

async function latency(run: () => Promise<unknown>, n: number): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 0; i < 200; i++) await run();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    xs.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  xs.sort((a, b) => a - b);
  return { p50: xs[Math.floor(n / 2)]!, p99: xs[Math.floor(n * 0.99)]!, mean: xs.reduce((a, b) => a + b, 0) / n };
}

/** Tasks per second, and process CPU (all threads) per task in µs. */
async function throughput(run: () => Promise<unknown>, n: number): Promise<{ rate: number; cpuUs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let inflight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    inflight.push(run());
    if (inflight.length >= 256) {
      await Promise.all(inflight);
      inflight = [];
    }
  }
  await Promise.all(inflight);
  const rate = n / (now() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { rate, cpuUs: (cpu.user + cpu.system) / n };
}

async function main(): Promise<void> {
  header('thread pool vs worker_threads');
  if (!nativeStatus().available) {
    console.log('native addon unavailable: nothing to compare');
    return;
  }
  const workers = os.cpus().length;
  const native = new NativeThreadPool({ workers });
  const wp = new WorkerPool(workers);
  const tiny = payload(64);
  const med = payload(64 * 1024);

  row(['measure', 'native pool', 'worker_threads', 'ratio']);
  row(['---', '---', '---', '---']);
  const ln = await latency(() => native.crc32c(tiny), 3000);
  const lw = await latency(() => wp.run('crc', tiny), 3000);
  row(['round trip, 64 B CRC-32C, p50 (µs)', ln.p50.toFixed(1), lw.p50.toFixed(1), `${(lw.p50 / ln.p50).toFixed(1)}x`]);
  row(['round trip, 64 B CRC-32C, p99 (µs)', ln.p99.toFixed(1), lw.p99.toFixed(1), `${(lw.p99 / ln.p99).toFixed(1)}x`]);
  for (const [label, kind, data, n] of [
    ['64 B CRC-32C', 'crc', tiny, 100_000],
    ['64 KiB CRC-32C', 'crc', med, 20_000],
    ['64 KiB gzip level 6', 'gzip', med, 3_000],
    ['64 KiB snappy', 'snappy', med, 10_000],
  ] as const) {
    const tn = await throughput(() => (kind === 'crc' ? native.crc32c(data) : kind === 'gzip' ? native.gzip(data, 6) : native.snappyCompress(data)), n);
    const tw = await throughput(() => wp.run(kind, data), n);
    row([`throughput, ${label} (tasks/s)`, fmt(tn.rate), fmt(tw.rate), `${(tn.rate / tw.rate).toFixed(1)}x`]);
    row([`CPU per task, ${label} (µs, all threads)`, tn.cpuUs.toFixed(1), tw.cpuUs.toFixed(1), `${(tw.cpuUs / tn.cpuUs).toFixed(1)}x`]);
  }
  const st = native.stats();
  console.log(
    `\nnative workers: ${st.workers.map((w) => `#${w.id} node ${w.node} ${w.pinned ? `pinned cpu ${w.cpu}` : `unpinned (${w.pinError})`} executed ${w.executed} stolen ${w.stolen}`).join('; ')}`,
  );
  await native.close();
  await wp.close();
}

if (isMainThread) void main();
else workerMain();
