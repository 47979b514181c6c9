import t from 'tap';
import { ErrorCode, nativeStatus } from '../../agent/native';
import { createRing, RingConsumer, RingProducer } from './ring/ring';
import { runNativeRingConsumer, runNativeRingProducer, type RingPatternOptions, type RingRunSummary } from './ring/ring-native';
import { patternFill, patternLength, RecordChecksum } from './ring/ring-pattern';
import { runRingWorker } from './ring/ring-worker';
import { bothImpls, expectCode, type Tap } from './harness';

// The "other end" of a ring: a native thread or a JS worker.
interface RemoteEnd {
  produce(buf: SharedArrayBuffer, o: RingPatternOptions): Promise<RingRunSummary>;
  consume(buf: SharedArrayBuffer, o: { count: number }): Promise<RingRunSummary>;
}

const nativeEnd: RemoteEnd = {
  produce: runNativeRingProducer,
  consume: runNativeRingConsumer,
};
const workerEnd: RemoteEnd = {
  produce: (buf, o) => runRingWorker(buf, { role: 'produce', ...o }),
  consume: (buf, o) => runRingWorker(buf, { role: 'consume', seed: 0, minLen: 0, maxLen: 0, ...o }),
};

// Expected checksum of the pattern, computed independently in JS.
async function consumeOnMain(buf: SharedArrayBuffer, count: number): Promise<RecordChecksum> {
  const c = new RingConsumer(buf);
  const sum = new RecordChecksum();
  const add = sum.add.bind(sum);
  while (sum.records < count) {
    if (c.drain(add, count - sum.records) === 0) {
      const r = await c.waitAsync(10000);
      if (r === 'timed-out') throw new Error(`consumer starved after ${sum.records} records`);
      if (r === 'closed' && !c.hasData()) break;
    }
  }
  return sum;
}

async function produceOnMain(buf: SharedArrayBuffer, o: RingPatternOptions): Promise<RecordChecksum> {
  const p = new RingProducer(buf);
  const sum = new RecordChecksum();
  const scratch = new Uint8Array(o.maxLen);
  let i = 0;
  while (i < o.count) {
    const len = patternLength(o, i);
    patternFill(o, i, scratch, len);
    if (p.stage(scratch, 0, len)) {
      sum.add(scratch, 0, len);
      i++;
      if (i % 64 !== 0 && i < o.count) continue;
      p.publish();
      continue;
    }
    p.publish();
    const r = await p.waitForSpaceAsync(len, 10000);
    if (r !== 'ready') throw new Error(`producer blocked: ${r} after ${i}`);
  }
  p.publish();
  return sum;
}

t.test('capacity and argument validation', async (t) => {
  for (const bad of [0, 1, 32, 63, 100, 96, -64, 2 ** 31, 1.5, NaN, '64', null, undefined]) {
    expectCode(t, () => createRing(bad as number), ErrorCode.RING_CAPACITY, `capacity ${String(bad)}`);
  }
  expectCode(t, () => new RingConsumer(new SharedArrayBuffer(512)), ErrorCode.RING_INVALID, 'zeroed buffer is not a ring');
  expectCode(t, () => new RingProducer(new ArrayBuffer(512) as unknown as SharedArrayBuffer), ErrorCode.RING_INVALID);
  expectCode(t, () => new RingProducer(new SharedArrayBuffer(8)), ErrorCode.RING_INVALID);
  const buf = createRing(64);
  const p = new RingProducer(buf);
  const c = new RingConsumer(buf);
  t.equal(p.maxRecordLength, 28);
  expectCode(t, () => p.push(new Uint8Array(29)), ErrorCode.RING_RECORD_TOO_LARGE);
  expectCode(t, () => p.push('abc' as unknown as Uint8Array), ErrorCode.INVALID_ARG);
  expectCode(t, () => p.stage(new Uint8Array(4), -1, 2), ErrorCode.INVALID_ARG);
  expectCode(t, () => p.stage(new Uint8Array(4), 2, 5), ErrorCode.INVALID_ARG);
  expectCode(t, () => c.wait(10), ErrorCode.RING_WAIT_NOT_ALLOWED, 'Atomics.wait refused on the main thread');
  expectCode(t, () => c.popBatch(-1), ErrorCode.INVALID_ARG);
  await t.rejects(c.waitAsync(-5), { code: ErrorCode.INVALID_ARG });
  if (nativeStatus().available) {
    expectCode(t, () => runNativeRingProducer(new SharedArrayBuffer(512), { count: 1, minLen: 0, maxLen: 1, seed: 1 }), ErrorCode.RING_INVALID);
    expectCode(t, () => runNativeRingProducer(buf, { count: 1, minLen: 0, maxLen: 29, seed: 1 }), ErrorCode.RING_RECORD_TOO_LARGE);
    expectCode(t, () => runNativeRingProducer(buf, { count: -1, minLen: 0, maxLen: 1, seed: 1 }), ErrorCode.INVALID_ARG);
  }
});

t.test('full and empty edges', async (t) => {
  const buf = createRing(64);
  const p = new RingProducer(buf);
  const c = new RingConsumer(buf);
  t.equal(c.pop(), null, 'empty ring pops null');
  t.equal(c.drain(() => t.fail('no record')), 0);
  // 8 records of 4 bytes (8 bytes each) fill 64 bytes exactly.
  for (let i = 0; i < 8; i++) t.ok(p.push(new Uint8Array([i, i, i, i])), `push ${i}`);
  t.notOk(p.push(new Uint8Array(0)), 'full ring refuses even an empty record');
  t.equal(p.used(), 64);
  t.same(Array.from(c.pop()!), [0, 0, 0, 0], 'nothing was overwritten');
  t.ok(p.push(new Uint8Array([9, 9, 9, 9])), 'space freed by pop is reused');
  const rest = c.popBatch(100).map((r) => r[0]);
  t.same(rest, [1, 2, 3, 4, 5, 6, 7, 9]);
  t.equal(c.pop(), null);
  // Largest record at every offset of an empty ring.
  for (let s = 0; s < 64; s += 4) {
    const rec = new Uint8Array(28).fill(s);
    t.ok(p.push(rec), `max record fits at offset ${s}`);
    t.same(c.pop(), rec);
    p.push(new Uint8Array(0));
    c.pop();
  }
});

t.test('wrap-around at every offset and length', async (t) => {
  const buf = createRing(128);
  const p = new RingProducer(buf);
  const c = new RingConsumer(buf);
  let n = 0;
  for (let start = 0; start < 128; start += 4) {
    for (let len = 0; len <= p.maxRecordLength; len++) {
      // Move the ring's position to `start`.
      while (((Atomics.load(new Int32Array(buf), 16) >>> 0) & 127) !== start) {
        if (!p.push(new Uint8Array(0))) t.fail('filler push refused');
        c.pop();
      }
      const a = new Uint8Array(len).map((_, j) => (j + len) & 0xff);
      const b = new Uint8Array(len).map((_, j) => (j * 3 + start) & 0xff);
      if (p.pushBatch([a, b]) < 1) t.fail('push refused');
      const got = c.popBatch(2);
      if (got.length === 1) {
        // b did not fit after a wrap; push it now.
        if (!p.push(b)) t.fail('push refused');
        got.push(c.pop()!);
      }
      if (!(Buffer.from(got[0]!).equals(a) && Buffer.from(got[1]!).equals(b))) t.fail(`mismatch at start ${start} len ${len}`);
      n++;
    }
  }
  t.pass(`${n} start/length combinations checked`);
});

t.test('async wait on the main thread', async (t) => {
  const buf = createRing(1024);
  const p = new RingProducer(buf);
  const c = new RingConsumer(buf);
  t.equal(await c.waitAsync(20), 'timed-out');
  setTimeout(() => p.push(new Uint8Array([1, 2, 3])), 20);
  t.equal(await c.waitAsync(5000), 'ready');
  t.same(Array.from(c.pop()!), [1, 2, 3]);
  setTimeout(() => p.close(), 20);
  t.equal(await c.waitAsync(5000), 'closed');
  while (p.push(new Uint8Array(100)));
  t.equal(await p.waitForSpaceAsync(100, 10), 'closed', 'closed ring reports closed to the producer');
});

bothImpls<RemoteEnd>(t, 'ring stress', { native: () => nativeEnd, twin: () => workerEnd }, async (t: Tap, end, kind) => {
  const count = kind === 'native' ? 2_000_000 : 1_000_000;
  await t.test(`${kind} producer -> main-thread consumer, ${count} records`, async (t) => {
    const buf = createRing(4096);
    const pattern = { count, minLen: 0, maxLen: 100, seed: 7, batch: 16 };
    const [summary, sum] = await Promise.all([end.produce(buf, pattern), consumeOnMain(buf, count)]);
    t.equal(summary.records, count);
    t.equal(sum.records, count);
    t.equal(sum.bytes, summary.bytes, 'bytes match');
    t.equal(sum.value, summary.checksum, 'checksum matches');
  });
  await t.test(`main-thread producer -> ${kind} consumer`, async (t) => {
    const buf = createRing(1024);
    const n = 300_000;
    const pattern = { count: n, minLen: 0, maxLen: 200, seed: 3 };
    const [summary, sum] = await Promise.all([end.consume(buf, { count: n }), produceOnMain(buf, pattern)]);
    t.equal(summary.records, n);
    t.equal(summary.checksum, sum.value, 'checksum matches');
  });
  await t.test(`${kind} producer closes the ring`, async (t) => {
    const buf = createRing(256);
    const [summary, sum] = await Promise.all([
      end.produce(buf, { count: 1000, minLen: 1, maxLen: 60, seed: 11, close: true }),
      consumeOnMain(buf, Number.MAX_SAFE_INTEGER),
    ]);
    t.equal(sum.records, 1000, 'consumer stops at close after the last record');
    t.equal(sum.value, summary.checksum);
  });
});

t.test('worker producer -> native consumer (futex sleeper woken from JS)', { skip: nativeStatus().available ? false : nativeStatus().reason }, async (t) => {
  const buf = createRing(512);
  const n = 200_000;
  const [native, worker] = await Promise.all([
    runNativeRingConsumer(buf, { count: n }),
    runRingWorker(buf, { role: 'produce', count: n, minLen: 0, maxLen: 120, seed: 5 }),
  ]);
  t.equal(native.records, n);
  t.equal(native.checksum, worker.checksum);
});

t.test('native consumer refuses a record outside the ring', { skip: nativeStatus().available ? false : nativeStatus().reason }, async (t) => {
  // Any JS code holding the buffer can write it: a bad length must stop the
  // native consumer, not make it read past the data area.
  for (const bad of [0x7fffffff, 1000, 0xfffffff0]) {
    const buf = createRing(256);
    const p = new RingProducer(buf);
    for (let i = 0; i < 3; i++) t.ok(p.push(new Uint8Array(8).fill(i)));
    new DataView(buf).setUint32(256 + 12, bad, true); // length word of the second record
    const r = await runNativeRingConsumer(buf, { count: 3, idleTimeoutMs: 0 });
    t.equal(r.corrupt, true, `length ${bad}: reported corrupt`);
    t.equal(r.records, 1, 'the record before it was delivered');
  }
  const ok = createRing(256);
  new RingProducer(ok).push(new Uint8Array(4));
  t.equal((await runNativeRingConsumer(ok, { count: 1 })).corrupt, false, 'an intact ring is not corrupt');
});
