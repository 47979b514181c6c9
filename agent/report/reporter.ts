/**
 * The reporter: on every flush, what changed in the store becomes batches (interned, msgpack, compressed, framed),
 * each appended to the spool before it is sent, then sent in order through a window of requests in flight that AIMD
 * sizes. A batch leaves the spool only when the aggregator acknowledged it; retries use exponential backoff with full
 * jitter (or Retry-After), a circuit breaker stops hammering a dead aggregator, permanent refusals are quarantined.
 *
 * Ordering: within an epoch requests may overtake each other (the aggregator applies cumulative values per series by
 * sequence, so an older batch never undoes a newer one); across epochs the sender drains every request of the old
 * epoch before it sends the first of the next, so the aggregator sees each agent's epochs in order.
 */
import type { Store } from '../store/store';
import type { Component } from '../core/component';
import type { AgentContext } from '../core/context';
import { version } from '../core/version';
import { Batcher, BatchContent } from './batcher';
import { compress, decompressSync } from '../wire/codec';
import { Codec, encodeFrame, FRAME_HEADER_BYTES, FrameKind } from '../wire/frame';
import { decodePayload, encodePayload, FamilyDef, SeriesDef } from '../wire/payload';
import { Aimd, backoffMs, Breaker, SendResult } from './send-result';
import { scanSegment } from './spool/scan';
import { directSegmentIO, fsSegmentIO } from './spool/segment-io';
import { FullPolicy, RecordRef, Spool } from './spool/spool';
import { FileTransport } from './file-transport';
import type { FrameAnswer } from '../wire/ingest';
import { follows } from './spool/runs';
import { Transport } from './transport';

/**
 * A sketch travels in its serialised form: anything with `toJSON()` (the StatsD timers' DDSketch gives
 * {a, n, s, min, max, z, p, m}), or a plain object / byte array as it is.
 */
export function encodeSketch(sketch: unknown): unknown {
  if (sketch === null || sketch === undefined) return undefined;
  if (typeof (sketch as { toJSON?: unknown }).toJSON === 'function') return (sketch as { toJSON(): unknown }).toJSON();
  if (sketch instanceof Uint8Array || Object.getPrototypeOf(sketch) === Object.prototype) return sketch;
  return undefined;
}

export interface ReporterOptions {
  agentId: string;
  /** Labels added to every reported series (pod identity from labels.from_env). */
  extraLabels?: Readonly<Record<string, string>>;
  endpoints: string[];
  token: string | undefined;
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
  spool: { dir: string; maxBytes: number; segmentBytes: number; policy: FullPolicy; syncIntervalMs: number; writeThrough: boolean; directIo?: boolean } | undefined;
  /** Time stop() waits for the queue to drain before it leaves the rest in the spool. */
  drainMs: number;
  /** Send records that are only on disk straight from the segment (sendfile); default true. */
  sendfile?: boolean;
  /** Smallest record (or run of consecutive records) sent with sendfile (below it a read and a write cost less: bench/README.md). */
  sendfileMinBytes?: number;
  /** Largest body of consecutive spooled records replayed in one request (at most the aggregator's max body). */
  replayMaxBodyBytes?: number;
}

/** Most frames in one replayed body (bounds the aggregator's per-frame answer). */
const REPLAY_MAX_FRAMES = 4096;

interface Entry {
  epoch: number;
  seq: number;
  ref: RecordRef | undefined;
  data: Buffer | undefined;
  state: 'queued' | 'inflight' | 'done';
  defsTries: number;
  /** Send this one alone (a body of several frames did not settle it). */
  single?: boolean;
}

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
  readonly #transports: Transport[];
  readonly #fileTransports: Array<FileTransport | undefined>;
  /** Endpoints that refused a body of several frames (an older aggregator): replay sends them one record each. */
  readonly #noRuns = new Set<number>();
  readonly #breaker = new Breaker(5, 1000, 30_000);
  readonly #aimd: Aimd;
  #spool: Spool | undefined;
  #spoolError: string | undefined;
  #epoch = 0;
  #stream: { epoch: number; seq: number } = { epoch: 0, seq: 0 };
  #queue: Entry[] = [];
  /** Entries not finished (the queue also holds finished ones until they reach its head). */
  #pending = 0;
  #head = 0;
  #memBytes = 0;
  #inflight = 0;
  #inflightEpoch = 0;
  #failures = 0;
  #pausedUntil = 0;
  #endpointIdx = 0;
  #lastFull = 0;
  #flushing: Promise<void> | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #pumpTimer: NodeJS.Timeout | undefined;
  #durableGen = 0;
  #appendedGen = 0;
  #droppedBatches = 0;
  #started = false;
  #stopped = false;
  #idle: Array<() => void> = [];
  readonly #m;

  constructor(ctx: AgentContext, opts: ReporterOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#batcher = new Batcher(ctx.store, { maxSamples: opts.maxBatchSamples, maxBytes: opts.maxBatchBytes, encodeSketch, extraLabels: opts.extraLabels ?? {} });
    this.#aimd = new Aimd({ maxWindow: opts.maxInFlight, maxBatch: opts.maxBatchSamples, targetLatencyMs: opts.targetLatencyMs });
    this.#transports = opts.endpoints.map((endpoint) => new Transport({ endpoint, token: opts.token, agentId: opts.agentId, timeoutMs: opts.timeoutMs, connections: opts.maxInFlight }));
    this.#fileTransports = opts.endpoints.map((endpoint) => (opts.sendfile === false ? undefined : FileTransport.for(endpoint, opts.token, opts.agentId, opts.timeoutMs)));
    const t = ctx.telemetry;
    this.#m = {
      batches: t.counter('outrider_report_batches_total', 'Batches the reporter finished, by result (acked, duplicate, quarantined).', ['result']),
      samples: t.counter('outrider_report_samples_total', 'Samples put into batches.'),
      bytes: t.counter('outrider_report_sent_bytes_total', 'Framed bytes sent to the aggregator (including retries).'),
      retries: t.counter('outrider_report_retries_total', 'Sends that failed and will be retried, by reason.', ['reason']),
      dropped: t.counter('outrider_report_dropped_batches_total', 'Batches lost before acknowledgement, by reason (spool_full, memory_full, too_large, spool_dropped_oldest).', ['reason']),
      spoolErrors: t.counter('outrider_report_spool_write_errors_total', 'Spool appends or syncs that failed (disk full, unwritable directory).'),
      corrupt: t.counter('outrider_report_spool_corrupt_records_total', 'Records found damaged when the spool was opened, by kind (torn tail truncated, corrupt skipped).', ['kind']),
      replayed: t.counter('outrider_report_sendfile_batches_total', 'Batches sent straight from a spool segment to the socket (sendfile).'),
      defs: t.counter('outrider_report_definition_resends_total', 'Times the aggregator asked for series definitions again.'),
      duration: t.histogram('outrider_report_send_duration_seconds', 'Time from sending a batch to its answer.', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
      backlog: t.gauge('outrider_report_backlog_batches', 'Batches waiting for acknowledgement (spooled or in memory).'),
      spoolBytes: t.gauge('outrider_report_spool_bytes', 'Bytes in spool segments on disk.'),
      window: t.gauge('outrider_report_inflight_window', 'Requests the AIMD controller allows in flight.'),
      breaker: t.gauge('outrider_report_breaker_open', 'Whether the circuit breaker towards the aggregator is open (1) or closed (0).'),
    };
  }

  get epoch(): number {
    return this.#epoch;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    let stream = storeStreams.get(this.#ctx.store);
    if (!stream) storeStreams.set(this.#ctx.store, (stream = { epoch: Date.now(), seq: 0 }));
    this.#stream = stream;
    this.#epoch = stream.epoch;
    const sp = this.#opts.spool;
    if (sp) {
      const spool = new Spool({
        dir: sp.dir,
        maxBytes: sp.maxBytes,
        segmentBytes: sp.segmentBytes,
        policy: sp.policy,
        writeThrough: sp.writeThrough,
        maxRecordBytes: Math.min(sp.segmentBytes, 64 * 1024 * 1024 + FRAME_HEADER_BYTES),
        io: sp.directIo ? directSegmentIO : fsSegmentIO,
      });
      try {
        const { records, maxEpoch } = spool.open();
        // A spooled epoch above ours comes from an earlier process whose clock ran ahead: step past it. Our own
        // epoch in the spool (left by this process before a reload) is simply continued.
        if (maxEpoch > stream.epoch) {
          stream.epoch = maxEpoch + 1;
          stream.seq = 0;
          this.#epoch = stream.epoch;
        }
        spool.writeEpoch(this.#epoch);
        for (const ref of records) this.#queue.push({ epoch: ref.epoch, seq: ref.seq, ref, data: undefined, state: 'queued', defsTries: 0 });
        this.#pending += records.length;
        if (spool.stats.tornRecords) this.#m.corrupt.inc({ kind: 'torn' }, spool.stats.tornRecords);
        if (spool.stats.corruptRecords) this.#m.corrupt.inc({ kind: 'corrupt' }, spool.stats.corruptRecords);
        if (records.length || spool.stats.tornRecords || spool.stats.corruptRecords) {
          this.#ctx.log.info({ dir: sp.dir, batches: records.length, bytes: spool.bytes, torn: spool.stats.tornRecords, corrupt: spool.stats.corruptRecords }, 'Spool opened; replaying unacknowledged batches.');
        }
        this.#spool = spool;
      } catch (err) {
        this.#spoolError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        this.#m.spoolErrors.inc();
        this.#ctx.log.error({ dir: sp.dir, err: this.#spoolError }, 'The spool directory cannot be used; batches are held in memory only and lost on a crash.');
      }
      this.#syncTimer = setInterval(() => void this.#sync(), sp.syncIntervalMs);
      this.#syncTimer.unref();
    }
    this.#report();
    this.#flushTimer = setInterval(() => void this.flush(), this.#opts.intervalMs);
    this.#flushTimer.unref();
    this.#ctx.log.info({ agent_id: this.#opts.agentId, epoch: this.#epoch, endpoints: this.#opts.endpoints, spool: sp?.dir, spool_io: this.#spool?.io.name }, 'Reporting to the aggregator.');
    this.#pump();
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#flushTimer);
    clearInterval(this.#syncTimer);
    clearTimeout(this.#pumpTimer);
    await this.#flushNow();
    this.#pump();
    await this.#waitIdle(this.#opts.drainMs);
    await this.#sync();
    await this.#spool?.close();
    await Promise.all(this.#transports.map((t) => t.close()));
    for (const f of this.#fileTransports) f?.close();
    this.#ctx.health.report(this.name, 'stopped', { ready: false });
  }

  /** Takes what changed since the last flush into the spool and the send queue. */
  flush(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return this.#flushNow();
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
    const full = now - this.#lastFull >= this.#opts.fullRefreshMs;
    if (full) this.#lastFull = now;
    this.#batcher.maxSamples = this.#aimd.batchSize;
    const gen = this.#ctx.store.generation;
    const contents = this.#batcher.collect(full);
    for (const c of contents) {
      try {
        await this.#enqueue(c, now);
      } catch (err) {
        this.#drop('encode', `${(err as Error).message}`);
      }
    }
    this.#appendedGen = gen;
    // Staged (direct) I/O: records reach the disk at flush(), so flush before sending them.
    if (this.#spool && (this.#spool.io.staged || this.#opts.spool?.writeThrough)) await this.#sync();
    this.#report();
    this.#pump();
  }

  async #encode(c: BatchContent, now: number, seq: number): Promise<Buffer> {
    const meta = { version, backlog_bytes: this.#spool?.bytes ?? this.#memBytes, backlog_batches: this.#pending, dropped_batches: this.#droppedBatches };
    const raw = encodePayload(this.#batcher.payload(c, this.#opts.agentId, now, meta));
    const body = await compress(this.#opts.codec, raw, this.#opts.compressionLevel);
    return encodeFrame(FrameKind.batch, this.#opts.codec, this.#epoch, seq, body);
  }

  async #enqueue(c: BatchContent, now: number): Promise<void> {
    const seq = ++this.#stream.seq;
    let frame = await this.#encode(c, now, seq);
    this.#m.samples.inc(c.items.length);
    const spool = this.#spool;
    if (spool && spool.wouldRotate(frame.length)) {
      // The record opens a new segment: make it carry every definition it uses.
      this.#batcher.resetScope();
      frame = await this.#encode(c, now, seq);
    }
    if (this.#opts.spool && frame.length > this.#opts.spool.segmentBytes) return this.#drop('too_large', `batch of ${frame.length} bytes exceeds spool.segment_size`);
    let ref: RecordRef | undefined;
    if (spool) {
      const r = await spool.append(frame, this.#epoch, seq);
      if (r.ok) {
        ref = r.ref;
        if (this.#spoolError) this.#ctx.log.info({ dir: spool.dir }, 'The spool accepts writes again.');
        this.#spoolError = undefined;
      } else if (r.reason === 'full') {
        this.#countSpoolDrops();
        return this.#drop('spool_full', 'the spool is full (spool.full_policy stop_accepting)');
      } else {
        if (!this.#spoolError) this.#ctx.log.error({ dir: spool.dir, err: r.error }, 'Cannot write to the spool; batches are held in memory only until it works again.');
        this.#spoolError = r.error ?? 'write failed';
        this.#m.spoolErrors.inc();
      }
      this.#countSpoolDrops();
    }
    let data: Buffer | undefined;
    if (this.#memBytes + frame.length <= this.#opts.maxMemoryBytes) data = frame;
    else if (!ref) {
      // Memory only (no spool, or the spool failed) and the budget is spent: apply the policy.
      if (this.#opts.spool?.policy === 'stop_accepting') return this.#drop('memory_full', 'the in-memory queue is full');
      this.#evictOldest(frame.length);
      if (this.#memBytes + frame.length > this.#opts.maxMemoryBytes) return this.#drop('memory_full', 'the in-memory queue is full');
      data = frame;
    }
    if (data) this.#memBytes += data.length;
    this.#queue.push({ epoch: this.#epoch, seq, ref, data, state: 'queued', defsTries: 0 });
    this.#pending++;
  }

  #evictOldest(need: number): void {
    for (const e of this.#queue) {
      if (this.#memBytes + need <= this.#opts.maxMemoryBytes) break;
      if (e.state !== 'queued' || e.ref || !e.data) continue;
      this.#finish(e);
      this.#drop('memory_full', 'oldest in-memory batch evicted');
    }
  }

  #countSpoolDrops(): void {
    const spool = this.#spool;
    if (!spool) return;
    const n = spool.stats.droppedOldest - this.#spoolDroppedSeen;
    if (n > 0) {
      this.#spoolDroppedSeen = spool.stats.droppedOldest;
      this.#droppedBatches += n;
      this.#m.dropped.inc({ reason: 'spool_dropped_oldest' }, n);
      this.#ctx.log.warn({ batches: n }, 'The spool is full; the oldest unsent batches were deleted (spool.full_policy drop_oldest).');
    }
  }
  #spoolDroppedSeen = 0;

  #drop(reason: string, detail: string): void {
    this.#droppedBatches++;
    this.#m.dropped.inc({ reason });
    this.#ctx.log.warn({ reason, detail }, 'A batch was dropped.');
  }

  async #sync(): Promise<void> {
    const spool = this.#spool;
    if (!spool) return;
    const gen = this.#appendedGen;
    if (await spool.flush()) this.#durableGen = Math.max(this.#durableGen, gen);
    else this.#m.spoolErrors.inc();
    this.#report();
  }

  #report(): void {
    const backlog = this.#pending;
    this.#m.backlog.set(backlog);
    this.#m.spoolBytes.set(this.#spool?.bytes ?? 0);
    this.#m.window.set(this.#aimd.window);
    this.#m.breaker.set(this.#breaker.state === 'closed' ? 0 : 1);
    const spoolOk = !this.#opts.spool || (this.#spool !== undefined && this.#spoolError === undefined);
    const detail = !spoolOk
      ? `spool unusable (${this.#spoolError}); batches held in memory only`
      : this.#breaker.state !== 'closed'
        ? `aggregator unreachable; ${backlog} batches waiting`
        : `${backlog} batches waiting`;
    this.#ctx.health.report(this.name, spoolOk ? 'running' : 'degraded', {
      ready: spoolOk,
      detail,
      info: { agent_id: this.#opts.agentId, epoch: this.#epoch, durable_generation: this.#durableGen, backlog_batches: backlog, spool_bytes: this.#spool?.bytes ?? 0, dropped_batches: this.#droppedBatches },
    });
  }

  #next(): Entry | undefined {
    const q = this.#queue;
    while (this.#head < q.length && q[this.#head]!.state === 'done') this.#head++;
    // Compact now and then, not on every acknowledgement (a long replay would make that quadratic).
    if (this.#head > 1024 && this.#head * 2 > q.length) {
      q.splice(0, this.#head);
      this.#head = 0;
    }
    for (let i = this.#head; i < q.length; i++) {
      const e = q[i]!;
      if (e.state !== 'queued') continue;
      if (e.ref?.segment.deleted) {
        this.#finish(e);
        continue;
      }
      return e;
    }
    return undefined;
  }

  #pump(): void {
    if (this.#transports.length === 0) return;
    while (this.#inflight < this.#aimd.window) {
      const now = Date.now();
      const wait = Math.max(this.#pausedUntil - now, this.#breaker.waitMs(now));
      if (wait > 0) {
        if (!this.#pumpTimer) {
          this.#pumpTimer = setTimeout(() => {
            this.#pumpTimer = undefined;
            this.#pump();
          }, wait);
          this.#pumpTimer.unref();
        }
        break;
      }
      const e = this.#next();
      if (!e) break;
      if (this.#inflight > 0 && e.epoch !== this.#inflightEpoch) break;
      this.#inflightEpoch = e.epoch;
      e.state = 'inflight';
      this.#inflight++;
      this.#breaker.take();
      void this.#send(e);
    }
    if (this.#inflight === 0 && this.#pending === 0) for (const f of this.#idle.splice(0)) f();
  }

  async #send(e: Entry): Promise<void> {
    const idx = this.#endpointIdx % this.#transports.length;
    const transport = this.#transports[idx]!;
    const file = this.#fileTransports[idx];
    let res: SendResult;
    let sent = e.ref?.length ?? e.data?.length ?? 0;
    const t0 = process.hrtime.bigint();
    const run = !e.data && e.ref && file && !file.busy ? this.#run(e, idx) : undefined;
    if (run && run.length > 1) return this.#sendRun(run, file!, idx);
    if (!e.data && e.ref && file && !file.busy && e.ref.length >= (this.#opts.sendfileMinBytes ?? 512 * 1024)) {
      // Only on disk: the record goes from the segment to the socket without entering JavaScript memory.
      res = await file.send(e.ref.segment.path, e.ref.offset, e.ref.length);
      this.#m.replayed.inc();
    } else {
      let body: Buffer;
      try {
        body = e.data ?? this.#spool!.read(e.ref!);
      } catch (err) {
        this.#inflight--;
        this.#ctx.log.error({ epoch: e.epoch, seq: e.seq, err: (err as Error).message }, 'A spooled batch cannot be read back; it is dropped.');
        this.#finish(e);
        this.#drop('unreadable', (err as Error).message);
        return this.#pump();
      }
      sent = body.length;
      res = await transport.send(body);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    this.#m.bytes.inc(sent);
    this.#m.duration.observe(ms / 1000);
    switch (res.kind) {
      case 'success':
        this.#failures = 0;
        this.#breaker.success();
        this.#aimd.success(ms);
        this.#m.batches.inc({ result: res.duplicate ? 'duplicate' : 'acked' });
        this.#finish(e);
        break;
      case 'definitions': {
        // The aggregator answered: it is alive (this also ends a half-open probe).
        this.#breaker.success();
        this.#m.defs.inc();
        e.defsTries++;
        const ok = e.defsTries <= 2 && (await this.#resendDefinitions(transport, e, res.missing));
        if (ok) {
          e.state = 'queued';
        } else {
          this.#quarantine(e, `the aggregator does not know series ${res.missing.slice(0, 10).join(',')} and their definitions are gone`);
        }
        break;
      }
      case 'retryable': {
        this.#failures++;
        this.#breaker.failure();
        this.#aimd.failure();
        e.state = 'queued';
        const delay = res.retryAfterMs ?? backoffMs(this.#failures, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
        this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + delay);
        this.#m.retries.inc({ reason: res.reason.startsWith('HTTP') ? res.reason : 'network' });
        if (this.#breaker.state !== 'closed' && this.#transports.length > 1) this.#endpointIdx++;
        break;
      }
      case 'failure':
        this.#breaker.success();
        this.#quarantine(e, res.reason);
        break;
    }
    // Only now (definitions resent included) is the request over: the epoch rule in #pump relies on it.
    this.#inflight--;
    this.#report();
    this.#pump();
  }

  /**
   * `e` and the queued records right after it that are only on disk and follow it in its segment (same epoch), up to
   * report.replay_max_body: a backlog replayed as a few large transfers instead of one request per record.
   */
  #run(e: Entry, idx: number): Entry[] {
    const run = [e];
    if (e.single || this.#noRuns.has(idx) || !e.ref) return run;
    const max = this.#opts.replayMaxBodyBytes ?? 16 * 1024 * 1024;
    let bytes = e.ref.length;
    const q = this.#queue;
    for (let i = q.indexOf(e, this.#head) + 1; i > 0 && i < q.length && run.length < REPLAY_MAX_FRAMES; i++) {
      const n = q[i]!;
      const prev = run.at(-1)!.ref!;
      if (n.state !== 'queued' || n.data || n.single || !n.ref || n.ref.segment.deleted || !follows(prev, n.ref) || bytes + n.ref.length > max) break;
      run.push(n);
      bytes += n.ref.length;
    }
    const min = this.#opts.sendfileMinBytes ?? 512 * 1024;
    return run.length > 1 && bytes >= min ? run : [e];
  }

  /** Sends a run of consecutive spooled records as one body and settles each record by its own outcome. */
  async #sendRun(run: Entry[], file: FileTransport, idx: number): Promise<void> {
    for (const n of run) n.state = 'inflight';
    const first = run[0]!.ref!;
    const length = run.reduce((a, n) => a + n.ref!.length, 0);
    const t0 = process.hrtime.bigint();
    const res = await file.sendFrames(first.segment.path, first.offset, length);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    this.#m.bytes.inc(length);
    this.#m.duration.observe(ms / 1000);
    if (res.kind === 'frames') {
      this.#failures = 0;
      this.#breaker.success();
      this.#aimd.success(ms);
      const byKey = new Map<string, FrameAnswer>();
      for (const a of res.results) byKey.set(`${a.epoch}:${a.seq}`, a);
      let sentOnDisk = 0;
      let refused = false;
      for (const n of run) {
        const a = byKey.get(`${n.epoch}:${n.seq}`);
        if (a && (a.status === 'applied' || a.status === 'duplicate')) {
          this.#m.batches.inc({ result: a.status === 'duplicate' ? 'duplicate' : 'acked' });
          sentOnDisk++;
          this.#finish(n);
        } else {
          // Not settled by this body: the first one goes alone next time and gets the usual handling (definitions,
          // retry, quarantine); the ones after it were not looked at and may go in a run again.
          n.state = 'queued';
          if (!refused) n.single = true;
          refused = true;
        }
      }
      this.#m.replayed.inc(sentOnDisk);
    } else if (res.kind === 'retryable') {
      this.#failures++;
      this.#breaker.failure();
      this.#aimd.failure();
      for (const n of run) n.state = 'queued';
      const delay = res.retryAfterMs ?? backoffMs(this.#failures, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
      this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + delay);
      this.#m.retries.inc({ reason: res.reason.startsWith('HTTP') ? res.reason : 'network' });
      if (this.#breaker.state !== 'closed' && this.#transports.length > 1) this.#endpointIdx++;
    } else {
      // Refused as a whole (an aggregator that takes one frame per body, a body past its limit): never quarantine a
      // run; each record goes alone and gets the usual handling.
      this.#breaker.success();
      if (res.kind === 'failure' && res.status === 400) {
        this.#noRuns.add(idx);
        this.#ctx.log.warn({ endpoint: this.#opts.endpoints[idx], reason: res.reason }, 'The aggregator does not take several batches in one body; replaying one batch per request.');
      }
      for (const n of run) {
        n.state = 'queued';
        n.single = true;
      }
    }
    this.#inflight--;
    this.#report();
    this.#pump();
  }

  #quarantine(e: Entry, reason: string): void {
    this.#ctx.log.error({ epoch: e.epoch, seq: e.seq, reason }, 'The aggregator refused a batch permanently; it is quarantined in the spool directory.');
    this.#m.batches.inc({ result: 'quarantined' });
    if (e.ref) this.#spool?.quarantine(e.ref, reason);
    this.#finish(e);
  }

  #finish(e: Entry): void {
    if (e.state === 'done') return;
    this.#pending--;
    e.state = 'done';
    if (e.ref) this.#spool?.ack(e.ref);
    if (e.data) this.#memBytes -= e.data.length;
    e.data = undefined;
  }

  /** Sends the definitions the aggregator lost; from memory for this epoch, from the spool segment for older ones. */
  async #resendDefinitions(transport: Transport, e: Entry, missing: number[]): Promise<boolean> {
    let families: FamilyDef[];
    let series: SeriesDef[];
    if (e.epoch === this.#epoch) {
      const d = this.#batcher.definitions(missing);
      if (d.missing.length > 0) return false;
      families = d.families;
      series = d.series;
      this.#batcher.resetScope();
    } else {
      const d = e.ref ? this.#definitionsFromSpool(e.ref, new Set(missing)) : undefined;
      if (!d) return false;
      families = d.families;
      series = d.series;
    }
    const raw = encodePayload({ agentId: this.#opts.agentId, sentMs: Date.now(), meta: {}, families, series, scalars: [], dists: [] });
    const frame = encodeFrame(FrameKind.defs, this.#opts.codec, e.epoch, 0, await compress(this.#opts.codec, raw, this.#opts.compressionLevel));
    const res = await transport.send(frame);
    return res.kind === 'success';
  }

  #definitionsFromSpool(ref: RecordRef, want: Set<number>): { families: FamilyDef[]; series: SeriesDef[] } | undefined {
    const fams = new Map<number, FamilyDef>();
    const series = new Map<number, SeriesDef>();
    const scan = scanSegment(ref.segment.path, 64 * 1024 * 1024 + FRAME_HEADER_BYTES);
    for (const r of scan.records) {
      if (r.offset > ref.offset || r.header.epoch !== ref.epoch) continue;
      try {
        const buf = this.#spool!.read({ ...ref, offset: r.offset, length: r.length });
        const p = decodePayload(decompressSync(r.header.codec, buf.subarray(FRAME_HEADER_BYTES), 256 * 1024 * 1024));
        for (const f of p.families) fams.set(f.fid, f);
        for (const s of p.series) if (want.has(s.sid)) series.set(s.sid, s);
      } catch {
        /* a record that cannot be read gives no definitions */
      }
    }
    if (series.size < want.size) return undefined;
    const needFams = new Set([...series.values()].map((s) => s.fid));
    return { families: [...fams.values()].filter((f) => needFams.has(f.fid)), series: [...series.values()] };
  }

  #waitIdle(ms: number): Promise<void> {
    if (this.#inflight === 0 && this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.#idle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
