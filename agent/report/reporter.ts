/**
 * The reporter: on every flush, what changed in the store becomes batches (interned, msgpack, compressed, framed),
 * each handed to the output runtime (runtime/), which appends it to the spool before it is sent and sends it to the
 * aggregator (aggregator-output.ts) with the AIMD window, retries, the breaker and endpoint failover. A batch leaves
 * the spool only when the aggregator acknowledged it; permanent refusals are quarantined.
 *
 * Timing: a flush runs every `report.interval`, and right after a writer's flush request (StatsD's flush) when the last
 * one is at least an interval (less a small guard) old, so with statsd.flush_interval ≥ report.interval the reporter
 * follows StatsD and an interval's values wait in memory for one StatsD interval only, not two (docs/spool.md,
 * Durability window). It never flushes more often than about once per interval.
 *
 * Ordering: a flush's batches share the process epoch; the runtime never mixes epochs in flight, so the aggregator
 * sees each agent's epochs in order (it applies cumulative values per series by sequence within an epoch).
 */
import type { ClientTlsOptions } from './tls/options';
import type { Store } from '../store/store';
import type { Component } from '../core/component';
import type { AgentContext } from '../core/context';
import { version } from '../core/version';
import { AggregatorOutput } from './aggregator-output';
import { Batcher, BatchContent } from './batcher';
import { compress } from '../wire/codec';
import { Codec, encodeFrame, FrameKind } from '../wire/frame';
import { encodePayload } from '../wire/payload';
import { reporterHooks, reporterMetrics, ReporterMetrics, setLagSource } from './reporter-metrics';
import { DeliveryLag } from './lag';
import type { SpoolSettings } from './runtime/delivery-queue';
import { durabilityOf } from '../core/durability';
import { onFlushRequest } from '../core/flush-request';
import { OutputRuntime } from './runtime/output-runtime';
import { AckedValues } from './handover';
import { EndpointRoute } from './route';
import { encodeSketch } from './sketch';

export { encodeSketch } from './sketch';

export interface ReporterOptions {
  agentId: string;
  /** Labels added to every reported series (pod identity from labels.from_env). */
  extraLabels?: Readonly<Record<string, string>>;
  endpoints: string[];
  token: string | undefined;
  /** Client TLS for https:// endpoints (report.tls.*). */
  tls?: ClientTlsOptions;
  intervalMs: number;
  fullRefreshMs: number;
  maxBatchSamples: number;
  maxBatchBytes: number;
  maxInFlight: number;
  timeoutMs: number;
  targetLatencyMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxMemoryBytes: number;
  codec: Codec;
  compressionLevel: number;
  spool: SpoolSettings | undefined;
  /** Time stop() waits for the queue to drain before it leaves the rest in the spool. */
  drainMs: number;
  /** Send records that are only on disk straight from the segment (sendfile); default true. */
  sendfile?: boolean;
  /** Smallest record (or run of consecutive records) sent with sendfile (below it a read and a write cost less: bench/README.md). */
  sendfileMinBytes?: number;
  /** Largest body of consecutive spooled records replayed in one request (at most the aggregator's max body). */
  replayMaxBodyBytes?: number;
  /** First wait before probing a better-ranked aggregator while failed over (doubling to 30 s; default 1 s). */
  probeMinMs?: number;
}

/**
 * After a flush a writer asked for, the timer waits this much more than the interval (a quarter of it, at most 1 s),
 * and a request is taken when the last flush is at least the interval less this old: so the timer never fires just
 * before the writer's next request and pushes it an interval back (the two timers would race every interval).
 */
const guardMs = (intervalMs: number) => Math.min(1000, Math.floor(intervalMs / 4));

/** Most frames in one replayed body (bounds the aggregator's per-frame answer). */
const REPLAY_MAX_FRAMES = 4096;
/** Flushes remembered for pruning the batcher (see #pruneSettled). */
const kMaxFlushEnds = 4096;

/**
 * Epoch and sequence belong to the store's life, not to one Reporter: a SIGHUP reload builds a new reporter while the
 * store and its cumulative counters live on, so the epoch stays and the sequence continues. A new epoch therefore
 * means a new store whose counters started again from zero, and the aggregator takes it as a reset.
 */
const storeStreams = new WeakMap<Store, { epoch: number; seq: number }>();

export class Reporter implements Component {
  readonly name = 'report';
  readonly #ctx: AgentContext;
  readonly #opts: ReporterOptions;
  readonly #batcher: Batcher;
  readonly #runtime: OutputRuntime;
  readonly #route: EndpointRoute;
  readonly #acked: AckedValues;
  /** Per flush that formed batches: its collect's number and the last sequence it queued (oldest first). */
  readonly #flushEnds: Array<{ collect: number; seq: number }> = [];
  /** Every batch of the collects up to this one is settled. */
  #settledCollect = 0;
  #epoch = 0;
  #stream: { epoch: number; seq: number } = { epoch: 0, seq: 0 };
  #lastFull = 0;
  #flushing: Promise<void> | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #lastFlushAt = 0;
  /** Why the last flush that formed batches kept none of them (undefined: it kept some, or none were formed). */
  #droppingAll: string | undefined;
  #lastDrop = '';
  #unsubscribe: (() => void) | undefined;
  #started = false;
  #stopped = false;
  readonly #m: ReporterMetrics;
  readonly #lag: () => number;

  constructor(ctx: AgentContext, opts: ReporterOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#batcher = new Batcher(ctx.store, { maxSamples: opts.maxBatchSamples, maxBytes: opts.maxBatchBytes, encodeSketch, extraLabels: opts.extraLabels ?? {} });
    this.#acked = new AckedValues(() => this.#batcher.entries());
    this.#m = reporterMetrics(ctx.telemetry);
    const sendfileMinBytes = opts.sendfileMinBytes ?? 512 * 1024;
    const output = new AggregatorOutput(
      { ...opts, sendfileMinBytes, log: ctx.log },
      this.#batcher,
      { epoch: () => this.#epoch, spool: () => this.#runtime.queue.spool, handover: () => this.#acked.handover(), handedOver: (ok) => this.#m.handovers.inc({ result: ok ? 'ok' : 'failed' }) },
      { bytes: (n) => this.#m.bytes.inc(n), sendfile: (n) => this.#m.replayed.inc(n), definitions: () => this.#m.defs.inc() },
    );
    this.#route = new EndpointRoute({
      agentId: opts.agentId,
      endpoints: opts.endpoints,
      dir: opts.spool?.dir,
      probe: (i) => output.probe(i),
      probeMinMs: opts.probeMinMs,
      log: ctx.log,
      onMove: (to, why, from) => {
        this.#m.moves.inc({ reason: why });
        output.handoverTo(to);
        // Left as failing: what still waits there is given up now, as its timeout would, and goes to `to`.
        if (why === 'failover') output.abandon(from);
      },
    });
    const hooks = reporterHooks(this.#m, ctx.log, () => this.#report());
    const dropped = hooks.dropped;
    hooks.dropped = (reason, n, detail) => {
      this.#lastDrop = `${reason}: ${detail}`;
      dropped(reason, n, detail);
    };
    const settled = hooks.settled;
    hooks.settled = (item, how) => {
      this.#acked.acked(item.epoch, item.seq);
      settled(item, how);
    };
    this.#runtime = new OutputRuntime(
      output,
      {
        log: ctx.log,
        maxInFlight: opts.maxInFlight,
        targetLatencyMs: opts.targetLatencyMs,
        maxBatch: opts.maxBatchSamples,
        backoffBaseMs: opts.backoffBaseMs,
        backoffMaxMs: opts.backoffMaxMs,
        maxMemoryBytes: opts.maxMemoryBytes,
        policy: opts.spool?.policy ?? 'drop_oldest',
        spool: opts.spool,
        runs: { maxBodyBytes: opts.replayMaxBodyBytes ?? 16 * 1024 * 1024, minBytes: sendfileMinBytes, maxItems: REPLAY_MAX_FRAMES },
        mark: durabilityOf(ctx.store, this.name),
        route: this.#route,
      },
      hooks,
    );
    const q = this.#runtime.queue;
    const lag = new DeliveryLag(
      () => q.oldest,
      (e) => q.read(e),
    );
    this.#lag = () => lag.seconds();
  }

  /** Seconds since the oldest batch not yet acknowledged was formed (0 when none is pending). */
  get lagSeconds(): number {
    return this.#lag();
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** The aggregator base URL batches go to now. */
  get endpoint(): string {
    return this.#opts.endpoints[this.#route.current]!;
  }

  /** Resolves true once everything up to store generation `generation` is acknowledged or spooled and synced. */
  whenDurable(generation: number, timeoutMs?: number): Promise<boolean> {
    return this.#runtime.whenDurable(generation, timeoutMs);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    let stream = storeStreams.get(this.#ctx.store);
    if (!stream) storeStreams.set(this.#ctx.store, (stream = { epoch: Date.now(), seq: 0 }));
    this.#stream = stream;
    this.#epoch = stream.epoch;
    const { maxEpoch } = this.#runtime.open();
    const spool = this.#runtime.queue.spool;
    if (spool) {
      // A spooled epoch above ours comes from an earlier process whose clock ran ahead: step past it. Our own epoch
      // in the spool (left by this process before a reload) is simply continued.
      if (maxEpoch > stream.epoch) {
        stream.epoch = maxEpoch + 1;
        stream.seq = 0;
        this.#epoch = stream.epoch;
      }
      try {
        spool.writeEpoch(this.#epoch);
      } catch (err) {
        this.#m.spoolErrors.inc();
        this.#ctx.log.error({ dir: spool.dir, err: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, 'Cannot record the epoch in the spool directory.');
      }
    }
    setLagSource(this.#ctx.telemetry, this.#lag);
    this.#report();
    this.#lastFlushAt = Date.now();
    // The first timer waits the guard too: StatsD starts just after the reporter, and its first flush request must
    // not come just after a timer flush (it would wait a whole interval more).
    this.#schedule(this.#opts.intervalMs + guardMs(this.#opts.intervalMs));
    this.#unsubscribe = onFlushRequest(this.#ctx.store, () => this.#requested());
    this.#route.start();
    this.#ctx.log.info(
      {
        agent_id: this.#opts.agentId,
        epoch: this.#epoch,
        endpoint: this.#opts.endpoints[this.#route.current],
        owner: this.#opts.endpoints[this.#route.order[0]!],
        endpoints: this.#opts.endpoints,
        spool: this.#opts.spool?.dir,
        spool_io: spool?.io.name,
      },
      'Reporting to the aggregator.',
    );
    this.#runtime.pump();
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#flushTimer);
    this.#unsubscribe?.();
    this.#route.stop();
    this.#runtime.cancelTimers();
    await this.#flushNow();
    await this.#runtime.drain(this.#opts.drainMs);
    await this.#runtime.close();
    setLagSource(this.#ctx.telemetry, undefined, this.#lag);
    this.#ctx.health.report(this.name, 'stopped', { ready: false });
  }

  /** Takes what changed since the last flush into the spool and the send queue. */
  flush(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return this.#flushNow();
  }

  #schedule(inMs: number): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#schedule(this.#opts.intervalMs);
      void this.flush();
    }, inMs);
    this.#flushTimer.unref();
  }

  /**
   * A writer put an interval into the store: flush now, unless the last flush is too recent for the interval. Either
   * way the timer moves past the writer's next request, so the timer stops racing it: the first request after start
   * may wait for the next one, every later one is taken at once.
   */
  #requested(): void {
    if (this.#stopped || !this.#started) return;
    const interval = this.#opts.intervalMs;
    const guard = guardMs(interval);
    this.#schedule(interval + guard);
    if (Date.now() - this.#lastFlushAt >= interval - guard) void this.flush();
  }

  async #flushNow(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#flushing = this.#doFlush().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #doFlush(): Promise<void> {
    const now = Date.now();
    this.#lastFlushAt = now;
    const full = now - this.#lastFull >= this.#opts.fullRefreshMs;
    if (full) this.#lastFull = now;
    this.#batcher.maxSamples = this.#runtime.batchSize;
    this.#pruneSettled();
    const gen = this.#ctx.store.generation;
    const contents = this.#batcher.collect(full);
    let kept = 0;
    for (const c of contents) {
      try {
        if (await this.#enqueue(c, now)) kept++;
      } catch (err) {
        this.#runtime.queue.drop('encode', `${(err as Error).message}`);
      }
    }
    if (kept > 0) {
      const ends = this.#flushEnds;
      ends.push({ collect: this.#batcher.collects, seq: this.#stream.seq });
      // Bounded: dropping the oldest ends only delays what prune may forget (a later end settled covers them).
      if (ends.length > kMaxFlushEnds) ends.splice(0, ends.length - kMaxFlushEnds);
    }
    if (contents.length > 0) {
      const all = kept === 0 ? this.#lastDrop : undefined;
      if (all && !this.#droppingAll) this.#ctx.log.error({ batches: contents.length, reason: all }, 'Every batch of a flush was dropped; reporting is not working.');
      this.#droppingAll = all;
    }
    const queue = this.#runtime.queue;
    queue.appended(gen);
    // Staged (direct) I/O: records reach the disk at flush(), so flush before sending them.
    const spool = queue.spool;
    if (spool && (spool.io.staged || this.#opts.spool?.writeThrough)) await this.#runtime.sync();
    this.#report();
    this.#runtime.pump();
  }

  /**
   * Lets the batcher forget the series gone from the store that no pending record can still need: those whose last
   * possible collect is at or before the newest flush whose every batch is older than the oldest record not settled
   * (every flush, when none is pending). While an earlier epoch's records are still pending, nothing is forgotten.
   */
  #pruneSettled(): void {
    const oldest = this.#runtime.queue.oldest;
    const ends = this.#flushEnds;
    if (oldest === undefined) {
      this.#settledCollect = this.#batcher.collects;
      ends.length = 0;
    } else if (oldest.epoch === this.#epoch) {
      let i = 0;
      while (i < ends.length && ends[i]!.seq < oldest.seq) this.#settledCollect = ends[i++]!.collect;
      if (i > 0) ends.splice(0, i);
    }
    this.#batcher.prune(this.#settledCollect);
  }

  async #encode(c: BatchContent, now: number, seq: number): Promise<Buffer> {
    const q = this.#runtime.queue;
    const meta = { version, backlog_bytes: q.backlogBytes, backlog_batches: q.pending, dropped_batches: q.droppedTotal };
    const raw = encodePayload(this.#batcher.payload(c, this.#opts.agentId, now, meta));
    const body = await compress(this.#opts.codec, raw, this.#opts.compressionLevel);
    return encodeFrame(FrameKind.batch, this.#opts.codec, this.#epoch, seq, body);
  }

  /** Encodes and queues one batch; false when the queue dropped it (counted there). */
  async #enqueue(c: BatchContent, now: number): Promise<boolean> {
    const seq = ++this.#stream.seq;
    let frame = await this.#encode(c, now, seq);
    this.#m.samples.inc(c.entries.length);
    if (this.#runtime.queue.wouldRotate(frame.length)) {
      // The record opens a new segment: make it carry every definition it uses.
      this.#batcher.resetScope();
      frame = await this.#encode(c, now, seq);
    }
    if (!(await this.#runtime.queue.append(frame, this.#epoch, seq, now))) return false;
    this.#acked.sent(this.#epoch, seq, c);
    return true;
  }

  #report(): void {
    const q = this.#runtime.queue;
    const backlog = q.pending;
    const spoolBytes = q.spool?.bytes ?? 0;
    this.#m.backlog.set(backlog);
    this.#m.spoolBytes.set(spoolBytes);
    this.#m.window.set(this.#runtime.window);
    this.#m.breaker.set(this.#runtime.breakerOpen ? 1 : 0);
    const spoolOk = !this.#opts.spool || (q.spool !== undefined && q.spoolError === undefined);
    const dropping = this.#droppingAll;
    const detail = dropping
      ? `every batch is dropped (${dropping})`
      : !spoolOk
        ? `spool unusable (${q.spoolError}); batches held in memory only`
        : this.#runtime.breakerOpen
          ? `aggregator unreachable; ${backlog} batches waiting`
          : `${backlog} batches waiting`;
    const ready = spoolOk && !dropping;
    this.#ctx.health.report(this.name, ready ? 'running' : 'degraded', {
      ready,
      detail,
      info: {
        agent_id: this.#opts.agentId,
        epoch: this.#epoch,
        durable_generation: Math.max(0, this.#runtime.mark.generation),
        backlog_batches: backlog,
        spool_bytes: spoolBytes,
        dropped_batches: q.droppedTotal,
        defined_series: this.#batcher.definedSeries,
        defined_families: this.#batcher.definedFamilies,
      },
    });
  }
}
