/**
 * The output runtime against a scripted output (no network): retries with Retry-After, the breaker and endpoint
 * failover, permanent refusals, the memory bound without a spool, and the durability mark with and without a spool.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { silentLogger } from '../../../agent/core/log';
import { Codec, encodeFrame, FrameKind } from '../../../agent/wire/frame';
import type { DeliveryResult, Output, QueuedItem, RuntimeHooks } from '../../../agent/report/runtime/output';
import { OutputRuntime, RuntimeOptions } from '../../../agent/report/runtime/output-runtime';

class Scripted implements Output {
  readonly sent: Array<{ seq: number; endpoint: number; at: number }> = [];
  constructor(
    readonly endpoints: number,
    readonly answer: (seq: number, endpoint: number, attempt: number) => DeliveryResult | Promise<DeliveryResult>,
  ) {}
  async send(item: QueuedItem, endpoint: number, body: () => Buffer): Promise<DeliveryResult> {
    body();
    this.sent.push({ seq: item.seq, endpoint, at: Date.now() });
    return this.answer(item.seq, endpoint, this.sent.length);
  }
  async close(): Promise<void> {}
}

function counting(): RuntimeHooks & { counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const inc = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);
  return {
    counts,
    attempt: () => inc('attempt'),
    settled: (_e, how) => inc(how),
    refused: () => inc('refused'),
    retry: () => inc('retry'),
    dropped: (reason, n) => inc(`dropped:${reason}`, n),
    spoolError: () => inc('spoolError'),
    spoolCorrupt: () => inc('corrupt'),
    changed: () => undefined,
  };
}

function runtime(out: Output, over: Partial<RuntimeOptions> = {}) {
  const hooks = counting();
  const rt = new OutputRuntime(
    out,
    { log: silentLogger(), maxInFlight: 1, targetLatencyMs: 1000, maxBatch: 100, backoffBaseMs: 5, backoffMaxMs: 20, maxMemoryBytes: 1 << 20, policy: 'drop_oldest', spool: undefined, ...over },
    hooks,
  );
  return { rt, hooks };
}

const frame = (seq: number, size = 10) => encodeFrame(FrameKind.batch, Codec.none, 1, seq, Buffer.alloc(size, seq));

async function until(fn: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return fn();
}

t.test('a retryable answer waits its Retry-After, then the same record goes again; order is kept', async (t) => {
  const out = new Scripted(1, (seq, _e, attempt) => (attempt === 1 ? { kind: 'retryable', reason: 'HTTP 503', retryAfterMs: 150 } : { kind: 'success' }));
  const { rt, hooks } = runtime(out);
  rt.open();
  await rt.queue.append(frame(1), 1, 1);
  await rt.queue.append(frame(2), 1, 2);
  rt.pump();
  t.ok(await until(() => rt.queue.pending === 0));
  t.same(
    out.sent.map((s) => s.seq),
    [1, 1, 2],
  );
  t.ok(out.sent[1]!.at - out.sent[0]!.at >= 140, `waited ${out.sent[1]!.at - out.sent[0]!.at} ms for Retry-After`);
  t.same(hooks.counts, { attempt: 3, retry: 1, acked: 2 });
  await rt.close();
});

t.test('the breaker opens after repeated failures and sending moves to the next endpoint', async (t) => {
  const out = new Scripted(2, (_s, endpoint) => (endpoint === 0 ? { kind: 'retryable', reason: 'ECONNREFUSED' } : { kind: 'success' }));
  const { rt } = runtime(out);
  rt.open();
  await rt.queue.append(frame(1), 1, 1);
  rt.pump();
  t.ok(await until(() => rt.queue.pending === 0));
  const first = out.sent.filter((s) => s.endpoint === 0).length;
  t.equal(first, 5, 'five failures open the breaker');
  t.equal(out.sent.at(-1)!.endpoint, 1, 'the record was delivered by the second endpoint');
  t.equal(rt.breakerOpen, false, 'a success closes the breaker');
  await rt.close();
});

/** A route that moves to the next endpoint whenever it is told a request failed (its health check failing too). */
function movingRoute(endpoints: number) {
  const listeners: Array<() => void> = [];
  const r = {
    current: 0,
    moves: 0,
    failover() {
      r.failed();
    },
    failed() {
      r.current = (r.current + 1) % endpoints;
      r.moves++;
      for (const fn of listeners) fn();
    },
    onMoved(fn: () => void) {
      listeners.push(fn);
    },
  };
  return r;
}

t.test('a route that moves on the first failure: the next request goes to the new endpoint after the first backoff, not the breaker', async (t) => {
  const out = new Scripted(2, (_s, endpoint) => (endpoint === 0 ? { kind: 'retryable', reason: 'ECONNREFUSED' } : { kind: 'success' }));
  const route = movingRoute(2);
  const { rt } = runtime(out, { route, backoffBaseMs: 5, backoffMaxMs: 20 });
  rt.open();
  await rt.queue.append(frame(1), 1, 1);
  rt.pump();
  t.ok(await until(() => rt.queue.pending === 0));
  t.same(
    out.sent.map((s) => s.endpoint),
    [0, 1],
    'one failure at the old endpoint, then delivered at the new one',
  );
  t.ok(out.sent[1]!.at - out.sent[0]!.at < 500, `${out.sent[1]!.at - out.sent[0]!.at} ms between them`);
  await rt.close();
});

t.test('every endpoint failing while the route moves on each failure: the backoff still grows (no tight loop)', async (t) => {
  const out = new Scripted(3, () => ({ kind: 'retryable', reason: 'ECONNREFUSED' }));
  const route = movingRoute(3);
  const { rt } = runtime(out, { route, backoffBaseMs: 10, backoffMaxMs: 200 });
  rt.open();
  await rt.queue.append(frame(1), 1, 1);
  rt.pump();
  await new Promise((r) => setTimeout(r, 1000));
  const n = out.sent.length;
  t.ok(n >= 3 && n < 40, `${n} attempts in 1 s (backoff 10 ms doubling to 200 ms, with jitter)`);
  t.same(new Set(out.sent.map((s) => s.endpoint)), new Set([0, 1, 2]), 'it went round every endpoint');
  await rt.close();
});

t.test('a permanent refusal is not retried; without a spool a full memory queue drops its oldest record, counted', async (t) => {
  const out = new Scripted(1, (seq) => (seq === 1 ? { kind: 'failure', reason: 'HTTP 400' } : { kind: 'success' }));
  const { rt, hooks } = runtime(out, { maxMemoryItems: 2 });
  rt.open();
  for (let s = 1; s <= 4; s++) await rt.queue.append(frame(s), 1, s);
  rt.pump();
  t.ok(await until(() => rt.queue.pending === 0));
  t.same(
    out.sent.map((s) => s.seq),
    [3, 4],
    'records 1 and 2 were evicted before sending',
  );
  t.equal(hooks.counts['dropped:memory_full'], 2);
  const { rt: rt2, hooks: h2 } = runtime(new Scripted(1, () => ({ kind: 'failure', reason: 'HTTP 400' })));
  rt2.open();
  await rt2.queue.append(frame(1), 1, 1);
  rt2.pump();
  t.ok(await until(() => rt2.queue.pending === 0));
  t.equal(h2.counts.refused, 1);
  t.equal(h2.counts.retry, undefined);
  await rt.close();
  await rt2.close();
});

t.test('durability: without a spool a generation is durable once its records are acknowledged', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const out = new Scripted(1, async () => {
    await gate;
    return { kind: 'success' };
  });
  const { rt } = runtime(out);
  rt.open();
  await rt.queue.append(frame(1), 1, 1);
  rt.queue.appended(10);
  let durable = false;
  void rt.whenDurable(10).then(() => (durable = true));
  rt.pump();
  await new Promise((r) => setTimeout(r, 30));
  t.equal(durable, false, 'not durable while the record is unacknowledged and only in memory');
  release();
  t.ok(await until(() => durable), 'durable once acknowledged');
  await rt.queue.append(frame(2), 1, 2);
  rt.queue.appended(12);
  t.equal(rt.mark.generation, 10, 'a later generation waits for its own records');
  rt.pump();
  t.equal(await rt.whenDurable(12, 2000), true);
  await rt.close();
});

t.test('durability: with a spool a generation is durable once synced, before any acknowledgement', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rt-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = new Scripted(1, () => ({ kind: 'retryable', reason: 'ECONNREFUSED' }));
  const { rt } = runtime(out, { spool: { dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, policy: 'drop_oldest', syncIntervalMs: 20, writeThrough: false } });
  rt.open();
  await rt.queue.append(frame(1), 1, 1);
  rt.queue.appended(4);
  rt.pump();
  t.equal(await rt.whenDurable(4, 5000), true, 'the sync timer made it durable while the receiver refuses');
  t.equal(rt.queue.pending, 1, 'still waiting for the receiver');
  await rt.close();
  // A new runtime on the same directory replays it.
  const ok = new Scripted(1, () => ({ kind: 'success' }));
  const { rt: again } = runtime(ok, { spool: { dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, policy: 'drop_oldest', syncIntervalMs: 20, writeThrough: false } });
  t.equal(again.open().records, 1);
  again.pump();
  t.ok(await until(() => again.queue.pending === 0));
  t.same(
    ok.sent.map((s) => s.seq),
    [1],
  );
  await again.close();
});

// Regression: drain's timeout was unref'd, so an owner awaiting stop() while a retry waited out its backoff never got
// an answer when nothing else held the event loop: a stopping aggregator whose receiver went away left stop pending.
t.test('drain(ms) answers within ms even when a long Retry-After is all that is pending', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'drain-child.js')], { encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 0, r.stderr);
  const m = /^drained (\d+)$/m.exec(r.stdout);
  t.ok(m, `the child answered: ${JSON.stringify(r.stdout)}`);
  t.ok(m && Number(m[1]) < 5000, `within the drain time plus scheduling (${m?.[1]} ms)`);
});
