/**
 * The output runtime: how records reach a receiver, whatever the output. Records go out in queue order through a
 * window of requests in flight that AIMD sizes; a retryable answer pauses sending for exponential backoff with full
 * jitter (or the server's Retry-After); a circuit breaker stops hammering a dead receiver and, with several
 * endpoints, moves to the next one while it is open; a permanent refusal is quarantined (kept in the spool
 * directory) and never retried. A record leaves the queue only when it is settled.
 *
 * Ordering: within an epoch requests may overtake each other; across epochs every request of the old epoch is
 * answered before the first of the next is sent, so a receiver sees each writer's epochs in order.
 */
import type { Logger } from 'pino';
import { Aimd, backoffMs, Breaker, unreachable } from '../send-result';
import { DeliveryQueue, QueueOptions } from './delivery-queue';
import { DurableMark } from '../../core/durability';
import type { DeliveryResult, Output, QueuedItem, RuntimeHooks } from './output';

export interface RuntimeOptions extends Omit<QueueOptions, 'hooks' | 'mark' | 'log'> {
  log: Logger;
  maxInFlight: number;
  targetLatencyMs: number;
  /** Largest batch size AIMD hands out (outputs that size their batches read `batchSize`). */
  maxBatch: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Replay consecutive spooled records in one request (outputs with sendRun). */
  runs?: { maxBodyBytes: number; minBytes: number; maxItems: number };
  /** The durability mark this runtime advances (default: one of its own). */
  mark?: DurableMark;
  /**
   * Which endpoint requests go to, and the move on a failure (default: in order, the next while the breaker is open):
   * `failover()` when the breaker opens, `failed()` on every retryable failure (the route may move at once), and
   * `onMoved` to learn of a move, after which the breaker starts afresh for the new endpoint.
   */
  route?: { readonly current: number; failover(): void; failed?(): void; onMoved?(fn: () => void): void };
}

export class OutputRuntime {
  readonly queue: DeliveryQueue;
  readonly mark: DurableMark;
  readonly #output: Output;
  readonly #opts: RuntimeOptions;
  readonly #hooks: RuntimeHooks;
  readonly #aimd: Aimd;
  readonly #breaker = new Breaker(5, 1000, 30_000);
  #failures = 0;
  #pausedUntil = 0;
  #endpointIdx = 0;
  #inflight = 0;
  #inflightEpoch = 0;
  #pumpTimer: NodeJS.Timeout | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #idle: Array<() => void> = [];
  #closed = false;

  constructor(output: Output, opts: RuntimeOptions, hooks: RuntimeHooks) {
    this.#output = output;
    this.#opts = opts;
    this.#hooks = hooks;
    this.mark = opts.mark ?? new DurableMark();
    this.queue = new DeliveryQueue({ ...opts, hooks, mark: this.mark });
    this.#aimd = new Aimd({ maxWindow: opts.maxInFlight, maxBatch: opts.maxBatch, targetLatencyMs: opts.targetLatencyMs });
    opts.route?.onMoved?.(() => this.#moved());
  }

  /** Opens the durable tier and starts its sync timer; returns the highest epoch found in the spool. */
  open(): { records: number; maxEpoch: number } {
    const r = this.queue.open();
    const sp = this.#opts.spool;
    if (sp && !this.#syncTimer) {
      this.#syncTimer = setInterval(() => void this.sync(), sp.syncIntervalMs);
      this.#syncTimer.unref();
    }
    return r;
  }

  /** Requests AIMD allows in flight now. */
  get window(): number {
    return this.#aimd.window;
  }

  /** Batch size AIMD suggests now. */
  get batchSize(): number {
    return this.#aimd.batchSize;
  }

  get breakerOpen(): boolean {
    return this.#breaker.state !== 'closed';
  }

  get inflight(): number {
    return this.#inflight;
  }

  /** Resolves true once everything up to store generation `generation` is acknowledged or spooled and synced. */
  whenDurable(generation: number, timeoutMs?: number): Promise<boolean> {
    return this.mark.whenDurable(generation, timeoutMs);
  }

  async sync(): Promise<void> {
    await this.queue.sync();
    this.#hooks.changed();
  }

  /** Sends what the window and the breaker allow. */
  pump(): void {
    if (this.#output.endpoints === 0 || this.#closed) return;
    while (this.#inflight < this.#aimd.window) {
      const now = Date.now();
      const wait = Math.max(this.#pausedUntil - now, this.#breaker.waitMs(now));
      if (wait > 0) {
        if (!this.#pumpTimer) {
          this.#pumpTimer = setTimeout(() => {
            this.#pumpTimer = undefined;
            this.pump();
          }, wait);
          this.#pumpTimer.unref();
        }
        break;
      }
      const e = this.queue.next();
      if (!e) break;
      if (this.#inflight > 0 && e.epoch !== this.#inflightEpoch) break;
      this.#inflightEpoch = e.epoch;
      e.state = 'inflight';
      this.#inflight++;
      this.#breaker.take();
      void this.#send(e);
    }
    if (this.#inflight === 0 && this.queue.pending === 0) for (const f of this.#idle.splice(0)) f();
  }

  /** Waits until nothing is pending or in flight, at most `ms`. */
  drain(ms: number): Promise<void> {
    this.pump();
    if (this.#inflight === 0 && this.queue.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      // Not unref'd: an owner awaiting stop() must get its answer within `ms` even when nothing else holds the event
      // loop (a retry's backoff timer is unref'd, so an idle wait could otherwise end the process with stop pending).
      const t = setTimeout(resolve, ms);
      this.#idle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Stops the timers, syncs and closes the spool and the output; what is still queued stays in the spool. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#syncTimer);
    clearTimeout(this.#pumpTimer);
    this.#syncTimer = undefined;
    await this.sync();
    await this.queue.close();
    await this.#output.close();
  }

  /** Stops sending timers (a stopping owner drains, then closes). */
  cancelTimers(): void {
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = undefined;
  }

  async #send(e: QueuedItem): Promise<void> {
    const route = this.#opts.route;
    const idx = route ? route.current : this.#endpointIdx % this.#output.endpoints;
    const r = this.#opts.runs;
    if (r && this.#output.sendRun && this.queue.onDisk(e) && this.#output.canSendRun?.(idx)) {
      const run = this.queue.run(e, r.maxBodyBytes, r.minBytes, r.maxItems);
      if (run.length > 1) return this.#sendRun(run, idx);
    }
    const t0 = process.hrtime.bigint();
    let res: DeliveryResult;
    try {
      res = await this.#output.send(e, idx, () => this.queue.read(e));
    } catch (err) {
      this.#inflight--;
      this.#opts.log.error({ epoch: e.epoch, seq: e.seq, err: (err as Error).message }, 'A spooled batch cannot be read back; it is dropped.');
      this.queue.finish(e);
      this.queue.drop('unreadable', (err as Error).message);
      this.#settledAll();
      return;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    this.#hooks.attempt(ms);
    switch (res.kind) {
      case 'success':
        this.#succeeded(ms);
        this.#hooks.settled(e, res.duplicate ? 'duplicate' : 'acked');
        this.queue.finish(e);
        break;
      case 'retryable':
        this.#retry(res, [e]);
        break;
      case 'failure':
        // The receiver answered: it is alive.
        this.#breaker.success();
        this.#hooks.refused(e, res.reason);
        this.queue.quarantine(e, res.reason);
        break;
    }
    // Only now is the request over: the epoch rule in pump() relies on it.
    this.#inflight--;
    this.#settledAll();
  }

  /** Sends a run of consecutive spooled records as one request and settles each record by its own outcome. */
  async #sendRun(run: QueuedItem[], idx: number): Promise<void> {
    for (const n of run) n.state = 'inflight';
    const t0 = process.hrtime.bigint();
    const res = await this.#output.sendRun!(run, idx);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    this.#hooks.attempt(ms);
    if (res.kind === 'settled' || res.kind === 'success') {
      // A run carries many batches: AIMD's latency target is per batch.
      this.#succeeded(ms / run.length);
      let refused = false;
      run.forEach((n, i) => {
        const a = res.kind === 'success' ? (res.duplicate ? 'duplicate' : 'acked') : res.settled[i];
        if (a) {
          this.#hooks.settled(n, a);
          this.queue.finish(n);
        } else {
          // Not settled by this request: the first one goes alone next time and gets the usual handling; the ones
          // after it were not looked at and may go in a run again.
          n.state = 'queued';
          if (!refused) n.single = true;
          refused = true;
        }
      });
    } else if (res.kind === 'retryable') {
      this.#retry(res, run);
    } else {
      // Refused as a whole (a receiver that takes one record per request, a body past its limit): never quarantine
      // a run; each record goes alone and gets the usual handling.
      this.#breaker.success();
      for (const n of run) {
        n.state = 'queued';
        n.single = true;
      }
    }
    this.#inflight--;
    this.#settledAll();
  }

  #succeeded(ms: number): void {
    this.#failures = 0;
    this.#breaker.success();
    this.#aimd.success(ms);
  }

  #retry(res: { reason: string; retryAfterMs?: number }, items: QueuedItem[]): void {
    this.#failures++;
    this.#breaker.failure();
    this.#aimd.failure(unreachable(res.reason));
    for (const n of items) n.state = 'queued';
    const delay = res.retryAfterMs ?? backoffMs(this.#failures, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + delay);
    this.#hooks.retry(res.reason);
    if (this.#breaker.state !== 'closed' && this.#output.endpoints > 1) {
      if (this.#opts.route) this.#opts.route.failover();
      else this.#endpointIdx++;
    } else this.#opts.route?.failed?.();
  }

  /**
   * The route moved to another endpoint: the breaker's state was the old one's, so it closes; the backoff stays (it
   * keeps growing while every endpoint fails, so moving round dead aggregators never turns into a tight loop).
   */
  #moved(): void {
    this.#breaker.success();
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = undefined;
    if (!this.#closed) queueMicrotask(() => this.pump());
  }

  #settledAll(): void {
    this.queue.advanceDurable();
    this.#hooks.changed();
    this.pump();
  }
}
