// Ring throughput: native->native, native->JS (main thread, batch drain),
// worker->main through the ring, against MessagePort.postMessage and a plain
// JS array queue, all with 64-byte records, in one run.
//   node dist/bench/native-ring.js [records]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { nativeStatus } from '../agent/native';
// The ring's JS side and native harness are test and benchmark code (the testing addon).
import { createRing, RingConsumer } from '../test/native/ring/ring';
import { benchNativeRing, runNativeRingProducer } from '../test/native/ring/ring-native';
import { runRingWorker } from '../test/native/ring/ring-worker';
import { fmt, header, now, row } from './native-common';

const REC = 64;

async function drainMain(buf: SharedArrayBuffer, count: number): Promise<number> {
  const c = new RingConsumer(buf);
  let got = 0;
  let sum = 0;
  const fn = (b: Uint8Array, o: number) => {
    sum += b[o]!;
  };
  while (got < count) {
    const n = c.drain(fn);
    got += n;
    if (n === 0) await c.waitAsync(1000);
  }
  return sum;
}

function postMessageProducer(): void {
  const { count } = workerData as { count: number };
  const rec = new Uint8Array(REC);
  for (let i = 0; i < count; i++) {
    rec[0] = i & 0xff;
    parentPort!.postMessage(rec);
  }
}

async function main(): Promise<void> {
  header('ring: 64-byte records');
  const count = Number(process.argv[2] ?? 5_000_000);
  const results: Array<[string, number, number]> = [];

  if (nativeStatus().available) {
    // Best of 3 per configuration: on a shared 2-vCPU machine scheduling noise is large.
    for (const [capacity, batch] of [
      [1 << 20, 64],
      [1 << 22, 1024],
    ] as const) {
      let best = Infinity;
      for (let i = 0; i < 3; i++) best = Math.min(best, (await benchNativeRing({ capacity, count: count * 4, recordLen: REC, batch })).nanos / 1e9);
      results.push([`native -> native (2 C++ threads, ${capacity >> 10} KiB ring, batch ${batch})`, count * 4, best]);
    }

    const buf = createRing(1 << 20);
    const t0 = now();
    const [, sum] = await Promise.all([runNativeRingProducer(buf, { count, minLen: 0, maxLen: REC, seed: 1, fixedLen: REC, batch: 64 }), drainMain(buf, count)]);
    results.push(['native thread -> JS main (drain)', count, now() - t0]);
    void sum;
  }

  {
    const buf = createRing(1 << 20);
    const t0 = now();
    await Promise.all([runRingWorker(buf, { role: 'produce', count, seed: 0, minLen: 0, maxLen: REC, fixedLen: REC, batch: 64 }), drainMain(buf, count)]);
    results.push(['JS worker -> JS main (ring)', count, now() - t0]);
  }

  {
    const n = Math.min(count, 1_000_000);
    const t0 = now();
    await new Promise<void>((resolve, reject) => {
      const w = new Worker(__filename, { workerData: { count: n, mode: 'post' } });
      let got = 0;
      w.on('message', () => {
        if (++got === n) resolve();
      });
      w.on('error', reject);
    });
    results.push(['JS worker -> JS main (MessagePort.postMessage)', n, now() - t0]);
  }

  {
    // Same thread, no synchronisation at all: the floor for "a queue in JS".
    const q: Uint8Array[] = [];
    const src = new Uint8Array(REC);
    let sum = 0;
    const t0 = now();
    for (let i = 0; i < count; i += 64) {
      for (let k = 0; k < 64; k++) q.push(src.slice());
      while (q.length) sum += q.shift()![0]!;
    }
    results.push(['plain JS array queue (one thread, copy per record)', count, now() - t0]);
    void sum;
  }

  row(['path', 'records', 'seconds', 'records/s', 'bytes/s']);
  row(['---', '---', '---', '---', '---']);
  for (const [name, n, s] of results) row([name, n, s.toFixed(3), fmt(n / s), `${fmt((n * REC) / s, 'B')}`]);
  const base = results.find((r) => r[0].includes('postMessage'));
  if (base) {
    const rate = base[1] / base[2];
    console.log('\nratios against MessagePort.postMessage:');
    for (const [name, n, s] of results) console.log(`  ${name}: ${(n / s / rate).toFixed(1)}x`);
  }
}

if (isMainThread) void main();
else if ((workerData as { mode?: string }).mode === 'post') postMessageProducer();
