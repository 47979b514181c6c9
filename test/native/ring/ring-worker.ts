/**
 * A JS ring end running in a worker_thread, for tests and benchmarks: it
 * produces the test pattern (ring-pattern.ts) or consumes and checksums,
 * sleeping with Atomics.wait when the ring is full / empty.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { RingRunSummary } from '../support/testing-binding';
import { RingConsumer, RingProducer } from './ring';
import { RecordChecksum, patternFill, patternLength, type RingPattern } from './ring-pattern';

export interface RingWorkerOptions extends RingPattern {
  role: 'produce' | 'consume';
  count: number;
  /** Records staged per publish (producer). */
  batch?: number;
  /** Close the ring after the last record (producer). */
  close?: boolean;
  /** Fixed-size records of this length instead of the pattern (benchmarks; no checksum of payload). */
  fixedLen?: number;
}

function produce(buffer: SharedArrayBuffer, o: RingWorkerOptions): RingRunSummary {
  const p = new RingProducer(buffer);
  const sum = new RecordChecksum();
  const scratch = new Uint8Array(Math.max(o.maxLen, o.fixedLen ?? 0));
  const batch = o.batch ?? 1;
  const start = process.hrtime.bigint();
  let staged = 0;
  let i = 0;
  let closed = false;
  while (i < o.count) {
    const len = o.fixedLen ?? patternLength(o, i);
    if (o.fixedLen === undefined) patternFill(o, i, scratch, len);
    if (p.stage(scratch, 0, len)) {
      if (o.fixedLen === undefined) sum.add(scratch, 0, len);
      else sum.records++;
      i++;
      if (++staged < batch && i < o.count) continue;
    }
    if (staged !== 0) {
      p.publish();
      staged = 0;
      continue;
    }
    if (p.waitForSpace(len, 1000) === 'closed') {
      closed = true;
      break;
    }
  }
  if (staged) p.publish();
  if (o.close) p.close();
  return { records: i, bytes: sum.bytes, checksum: sum.value, nanos: Number(process.hrtime.bigint() - start), closed, stopped: false, corrupt: false };
}

function consume(buffer: SharedArrayBuffer, o: RingWorkerOptions): RingRunSummary {
  const c = new RingConsumer(buffer);
  const sum = new RecordChecksum();
  const add = sum.add.bind(sum);
  const start = process.hrtime.bigint();
  let closed = false;
  while (sum.records < o.count) {
    if (c.drain(add, o.count - sum.records) === 0) {
      const r = c.wait(1000);
      if (r === 'closed' && !c.hasData()) {
        closed = true;
        break;
      }
    }
  }
  return { records: sum.records, bytes: sum.bytes, checksum: sum.value, nanos: Number(process.hrtime.bigint() - start), closed, stopped: false, corrupt: false };
}

/** Runs a JS ring end in a new worker; resolves with its summary. */
export function runRingWorker(buffer: SharedArrayBuffer, opts: RingWorkerOptions): Promise<RingRunSummary> {
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { buffer, opts } });
    let result: RingRunSummary | undefined;
    w.once('message', (m: RingRunSummary) => (result = m));
    w.once('error', reject);
    w.once('exit', (code) => (result ? resolve(result) : reject(new Error(`ring worker exited with code ${code}`))));
  });
}

if (!isMainThread && workerData && (workerData as { buffer?: unknown }).buffer instanceof SharedArrayBuffer) {
  const { buffer, opts } = workerData as { buffer: SharedArrayBuffer; opts: RingWorkerOptions };
  parentPort!.postMessage(opts.role === 'produce' ? produce(buffer, opts) : consume(buffer, opts));
}
