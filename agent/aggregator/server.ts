/**
 * `outrider aggregator`: receives agents' batches on POST /api/v1/ingest (docs/protocol.md), deduplicates them by
 * (agent, epoch, sequence), merges them into its own store (served on /metrics with the same exposition code as the
 * agent), keeps what it applied durable in its state directory, and forwards the merged series by remote write.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Health } from '../core/component';
import { isOutriderError, OutriderError } from '../core/errors';
import { Telemetry } from '../core/telemetry';
import { version } from '../core/version';
import { mountEndpoint } from '../exposition/endpoint';
import { HttpServer, readBody, sendJson, sendJsonBytes } from '../core/http-server';
import { decompressSync } from '../report/codec';
import { checkCrc, FRAME_HEADER_BYTES, FrameHeader, FrameKind, parseHeader } from '../report/frame';
import { decodePayload, DistValue, PayloadError } from '../report/payload';
import { RemoteWriteOutput, RemoteWriteProtocol } from '../report/remote-write/output';
import { INGEST_PATH } from '../report/transport';
import { Store } from '../store/store';
import { Merger, ResolvedSeries } from './merge';
import { validateSketch } from './sketch-input';
import { AgentState, MAX_VERSION_CHARS, SeriesState, StateStore } from './state';
import { Tables } from './tables';

export interface AggregatorOptions {
  listen: string;
  tokens: string[];
  stateDir: string;
  remoteWrite: string[];
  /** Remote write version for the forward (default 1.0). */
  remoteWriteProtocol?: RemoteWriteProtocol;
  forwardIntervalMs: number;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  maxAgents: number;
  maxSeries: number;
  snapshotIntervalMs: number;
  commitIntervalMs: number;
  log: Logger;
  runtimeMetrics?: boolean;
  /**
   * When the merged store is written: `on-read` (default) writes what changed only when something reads the store
   * (/metrics, /api/v1/series, the remote write forward), so a series updated by many batches between two scrapes
   * costs one store write; `immediate` writes after every batch (tests that read the store directly).
   */
  storeWrites?: 'on-read' | 'immediate';
  /** Quantiles of summaries merged from agents' sketches (default 0.5, 0.9, 0.99). */
  quantiles?: number[];
  /** An agent's sketch older than this stops contributing to merged quantiles (default 2 minutes). */
  sketchMaxAgeMs?: number;
}

/** The answers every batch gets, serialised once. */
const answer = (status: string) => Buffer.from(JSON.stringify({ status }) + '\n');
const APPLIED = answer('applied');
const DUPLICATE = answer('duplicate');
const DEFINED = answer('ok');

const isLoopback = (host: string) => host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');

export class Aggregator {
  readonly store: Store;
  readonly health = new Health();
  readonly telemetry: Telemetry;
  readonly state: StateStore;
  readonly merger: Merger;
  readonly #tables: Tables;
  readonly #opts: AggregatorOptions;
  readonly #server: HttpServer;
  readonly #tokens: Buffer[];
  readonly #forward: RemoteWriteOutput | undefined;
  #timers: NodeJS.Timeout[] = [];
  #started = false;
  #stopped = false;
  readonly #m;

  constructor(opts: AggregatorOptions) {
    this.#opts = opts;
    const host = opts.listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (opts.tokens.length === 0 && !isLoopback(host)) {
      throw new OutriderError('OUTRIDER_ERR_AGG_NO_TOKENS', `refusing to listen on ${opts.listen} without tokens: set --tokens-file (or aggregator.tokens), or listen on loopback`);
    }
    this.#tokens = opts.tokens.map((t) => createHash('sha256').update(t).digest());
    this.store = new Store({ staleAfterMs: 365 * 24 * 3600_000, maxSeries: opts.maxSeries });
    this.telemetry = new Telemetry({ runtimeMetrics: opts.runtimeMetrics ?? true });
    this.telemetry.setBuildInfo(false);
    this.state = new StateStore(opts.stateDir, opts.commitIntervalMs);
    this.#tables = new Tables(opts.maxSeries);
    const t = this.telemetry;
    const mismatch = t.counter('outrider_aggregator_sketch_mismatches_total', 'Agent sketches left out of a merge because their relative accuracy differs from the others of the series.');
    this.merger = new Merger(this.store, { quantiles: opts.quantiles, sketchMaxAgeMs: opts.sketchMaxAgeMs, onSketchMismatch: () => mismatch.inc() });
    this.#m = {
      requests: t.counter('outrider_aggregator_requests_total', 'Ingest requests, by result (applied, duplicate, definitions, unknown_series, unauthorized, malformed, too_large, refused).', ['result']),
      samples: t.counter('outrider_aggregator_samples_total', 'Samples applied from agents.'),
      skipped: t.counter('outrider_aggregator_stale_samples_total', 'Samples skipped because a newer value of the series was already applied.'),
      agents: t.gauge('outrider_aggregator_agents', 'Agents known to the aggregator.'),
    };
    this.#server = new HttpServer({ name: 'aggregator', listen: opts.listen, log: opts.log, requestTimeoutMs: 60_000, maxConnections: 20_000 });
    const catchUp = () => this.merger.flushStore();
    mountEndpoint(this.#server, { store: this.store, health: this.health, status: () => ({ version, role: 'aggregator', agents: this.state.agents.size }), beforeRead: catchUp });
    this.#server.route('POST', INGEST_PATH, (req, res) => this.#ingest(req, res));
    this.#server.route('GET', '/api/v1/agents', (req, res) => {
      if (!this.#authorized(req)) return this.#refuse(res, 401, 'unauthorized', 'OUTRIDER_ERR_AGG_UNAUTHORIZED', 'a valid bearer token is required');
      sendJson(res, 200, { agents: this.agents() });
    });
    if (opts.remoteWrite.length > 0) {
      this.#forward = new RemoteWriteOutput(this.store, {
        name: 'forward',
        urls: opts.remoteWrite,
        intervalMs: opts.forwardIntervalMs,
        log: opts.log,
        telemetry: this.telemetry,
        health: this.health,
        filter: (s) => s.owner !== 'outrider',
        beforeRead: catchUp,
        protocol: opts.remoteWriteProtocol ?? '1.0',
      });
    }
  }

  url(): string {
    return this.#server.url();
  }

  agents(): Array<Record<string, unknown>> {
    const now = Date.now();
    return [...this.state.agents.values()].map((a: AgentState) => ({
      agent_id: a.id,
      version: a.version,
      epoch: a.epoch,
      last_seen: new Date(a.lastSeenMs).toISOString(),
      lag_seconds: Math.max(0, (a.lastSeenMs - a.lastSentMs) / 1000),
      seconds_since_seen: (now - a.lastSeenMs) / 1000,
      spool_backlog_bytes: a.backlogBytes,
      spool_backlog_batches: a.backlogBatches,
      dropped_batches: a.droppedBatches,
      applied_batches: a.appliedBatches,
    }));
  }

  /** The remote write forward (undefined without aggregator.remote_write). */
  get forward(): RemoteWriteOutput | undefined {
    return this.#forward;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.state.onFatal = (err) => {
      this.#opts.log.fatal({ err: err.message, dir: this.#opts.stateDir }, 'Cannot make the aggregator state durable; exiting so nothing is acknowledged that was not kept.');
      process.exit(1);
    };
    try {
      this.state.open();
    } catch (err) {
      throw new OutriderError('OUTRIDER_ERR_AGG_STATE', `cannot use state directory ${this.#opts.stateDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    this.merger.rebuild(this.state.series.values());
    await this.#server.start();
    this.health.report('aggregator', 'running', { ready: true, detail: `listening on ${this.#server.url()}`, info: { agents: this.state.agents.size } });
    await this.#forward?.start();
    const snap = setInterval(() => {
      try {
        this.state.snapshot();
      } catch (err) {
        this.#opts.log.error({ err: (err as Error).message }, 'Writing the state snapshot failed; the log keeps growing.');
      }
    }, this.#opts.snapshotIntervalMs);
    const tele = setInterval(() => {
      void this.#copyTelemetry();
      this.merger.expireSketches();
    }, 1000);
    snap.unref();
    tele.unref();
    this.#timers.push(snap, tele);
    await this.#copyTelemetry();
    if (this.#tokens.length === 0) this.#opts.log.warn({ listen: this.#opts.listen }, 'No tokens configured: the aggregator serves loopback only and accepts any local client.');
    this.#opts.log.info({ url: this.#server.url(), state_dir: this.#opts.stateDir, agents: this.state.agents.size, series: this.state.series.size, remote_write: this.#opts.remoteWrite.length, version }, 'Outrider aggregator is ready.');
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    await this.#server.stop();
    this.merger.flushStore();
    await this.#forward?.stop();
    await this.state.close();
  }

  async #copyTelemetry(): Promise<void> {
    this.#m.agents.set(this.state.agents.size);
    this.store.replaceOwned('outrider', await this.telemetry.snapshot());
  }

  #authorized(req: IncomingMessage): boolean {
    if (this.#tokens.length === 0) return true;
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Bearer ')) return false;
    // Hash first so every comparison has the same length; timingSafeEqual over each token.
    const got = createHash('sha256').update(h.slice(7).trim()).digest();
    let ok = false;
    for (const t of this.#tokens) ok = timingSafeEqual(got, t) || ok;
    return ok;
  }

  #refuse(res: ServerResponse, status: number, result: string, code: string, message: string, extra: Record<string, unknown> = {}): void {
    this.#m.requests.inc({ result });
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    sendJson(res, status, { status: 'error', code, message, ...extra });
  }

  async #ingest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.#authorized(req)) return this.#refuse(res, 401, 'unauthorized', 'OUTRIDER_ERR_AGG_UNAUTHORIZED', 'a valid bearer token is required');
    let body: Buffer;
    try {
      body = await readBody(req, this.#opts.maxBodyBytes);
    } catch (err) {
      if (isOutriderError(err, 'OUTRIDER_ERR_HTTP_BODY_TOO_LARGE')) return this.#refuse(res, 413, 'too_large', 'OUTRIDER_ERR_AGG_TOO_LARGE', err.message);
      throw err;
    }
    const frames = splitFrames(body);
    if (!frames.ok) return this.#refuse(res, 400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_FRAME', frames.message);
    if (frames.frames.length === 1) {
      const r = this.#applyFrame(frames.frames[0]!);
      // Acknowledge only once the application (or, for a duplicate, the original one) is durable.
      if (r.ok && r.status !== 'ok') await this.state.commit();
      return this.#answer(res, r);
    }
    // Several frames back to back (a replayed run of spooled batches): applied in order, each once, up to the first
    // that is not; one commit makes them all durable before the answer lists each frame's outcome.
    const results: Array<Record<string, unknown>> = [];
    for (const f of frames.frames) {
      const r = this.#applyFrame(f);
      const seq = f.readBigUInt64LE(24).toString();
      const epoch = f.readBigUInt64LE(16).toString();
      if (r.ok) {
        this.#m.requests.inc({ result: r.result });
        results.push({ epoch: Number(epoch), seq: Number(seq), status: r.status });
        continue;
      }
      this.#m.requests.inc({ result: r.result });
      results.push({ epoch: Number(epoch), seq: Number(seq), status: 'error', http_status: r.http, code: r.code, message: r.message, ...r.extra, ...(r.retryAfter ? { retry_after: r.retryAfter } : {}) });
      break;
    }
    await this.state.commit();
    sendJson(res, 200, { status: 'frames', results });
  }

  #answer(res: ServerResponse, r: FrameOutcome): void {
    if (!r.ok) {
      if (r.retryAfter) res.setHeader('Retry-After', r.retryAfter);
      return this.#refuse(res, r.http, r.result, r.code, r.message, r.extra);
    }
    this.#m.requests.inc({ result: r.result });
    sendJsonBytes(res, 200, r.status === 'applied' ? APPLIED : r.status === 'duplicate' ? DUPLICATE : DEFINED);
  }

  /** Applies a value to a series whose state is not cached on its definition (new, or a distribution). */
  #applyNew(r: ResolvedSeries, agent: string, epoch: number, seq: number, value: number | DistValue, full: Array<[string, SeriesState]>, updated: SeriesState[]): boolean {
    let prev = r.state;
    let k: string | undefined;
    if (!prev) {
      k = agent + '\u0000' + r.key;
      prev = this.state.series.get(k);
    }
    const id = prev ? prev.id : this.state.nextId();
    const st = typeof value === 'number' ? this.merger.applyScalar(prev, agent, r, epoch, seq, value, id) : this.merger.applyDist(prev, agent, r, epoch, seq, value, id);
    if (!st) return false;
    r.state = st;
    if (prev) updated.push(st);
    else {
      this.state.add(k!, st);
      full.push([k!, st]);
    }
    return true;
  }

  /** Checks, decodes and applies one frame (not yet committed: the caller commits before it answers). */
  #applyFrame(body: Buffer): FrameOutcome {
    const hdr = parseHeader(body);
    if (!hdr.ok) return refused(400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_FRAME', `bad frame header (${hdr.reason})`);
    return this.#applyChecked(body, hdr.header);
  }

  #applyChecked(body: Buffer, hdr: FrameHeader): FrameOutcome {
    if (!checkCrc(body, 0, hdr)) return refused(400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_CHECKSUM', 'frame checksum mismatch');
    let payload;
    try {
      payload = decodePayload(decompressSync(hdr.codec, body.subarray(FRAME_HEADER_BYTES), this.#opts.maxDecompressedBytes));
      for (const d of payload.dists) if (d.sketch !== null && d.sketch !== undefined) d.sketch = validateSketch(d.sketch);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return refused(413, 'too_large', 'OUTRIDER_ERR_AGG_TOO_LARGE', `payload decompresses past ${this.#opts.maxDecompressedBytes} bytes`);
      const msg = err instanceof PayloadError ? err.message : `payload cannot be decompressed (${(err as Error).message})`;
      return refused(400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_PAYLOAD', msg);
    }
    const agent = payload.agentId;
    if (!this.state.agents.has(agent) && this.state.agents.size >= this.#opts.maxAgents) {
      return refused(429, 'refused', 'OUTRIDER_ERR_AGG_TOO_MANY_AGENTS', `the aggregator tracks ${this.#opts.maxAgents} agents already`, {}, '60');
    }
    if (!this.#tables.define(agent, hdr.epoch, payload.families, payload.series)) {
      return refused(429, 'refused', 'OUTRIDER_ERR_AGG_TOO_MANY_SERIES', 'the aggregator holds too many series definitions', {}, '60');
    }
    if (hdr.kind === FrameKind.defs) return { ok: true, status: 'ok', result: 'definitions' };
    if (this.state.isApplied(agent, hdr.epoch, hdr.seq)) return { ok: true, status: 'duplicate', result: 'duplicate' };
    const missing: number[] = [];
    const sc = payload.scalars;
    const defs = this.#tables.seriesOf(agent, hdr.epoch) ?? new Map<number, ResolvedSeries>();
    // Resolved once: the apply pass below reuses them.
    const scalarDefs: ResolvedSeries[] = new Array(sc.length >> 1);
    for (let i = 0; i < sc.length; i += 2) {
      const r = defs.get(sc[i]!);
      if (r) scalarDefs[i >> 1] = r;
      else missing.push(sc[i]!);
    }
    for (const d of payload.dists) if (!defs.has(d.sid)) missing.push(d.sid);
    if (missing.length > 0) {
      return refused(409, 'unknown_series', 'OUTRIDER_ERR_AGG_UNKNOWN_SERIES', 'series definitions are unknown (the aggregator restarted); send them again', { missing: missing.slice(0, 100_000) });
    }
    const prevAgent = this.state.agents.get(agent);
    if (prevAgent && hdr.epoch < prevAgent.epoch) return { ok: true, status: 'duplicate', result: 'duplicate' };
    const a: AgentState = prevAgent ?? { id: agent, epoch: hdr.epoch, high: 0, recent: [], lastSeenMs: 0, lastSentMs: 0, version: '', backlogBytes: 0, backlogBatches: 0, droppedBatches: 0, appliedBatches: 0 };
    a.lastSeenMs = Date.now();
    a.lastSentMs = payload.sentMs;
    a.version = String(payload.meta.version ?? '').slice(0, MAX_VERSION_CHARS);
    a.backlogBytes = Number(payload.meta.backlog_bytes ?? 0);
    a.backlogBatches = Number(payload.meta.backlog_batches ?? 0);
    a.droppedBatches = Number(payload.meta.dropped_batches ?? 0);
    const full: Array<[string, SeriesState]> = [];
    const updated: SeriesState[] = [];
    let skipped = 0;
    const { epoch, seq } = hdr;
    for (let i = 0; i < sc.length; i += 2) {
      const r = scalarDefs[i >> 1]!;
      const prev = r.state;
      if (prev) {
        // The steady state: the series' state is cached on its definition.
        const st = this.merger.applyScalar(prev, agent, r, epoch, seq, sc[i + 1]!, prev.id);
        if (st) updated.push(st);
        else skipped++;
      } else if (!this.#applyNew(r, agent, epoch, seq, sc[i + 1]!, full, updated)) skipped++;
    }
    for (const d of payload.dists) if (!this.#applyNew(defs.get(d.sid)!, agent, epoch, seq, d, full, updated)) skipped++;
    this.state.record(a, hdr.seq, hdr.epoch, full, updated);
    this.#m.samples.inc(full.length + updated.length);
    if (this.#opts.storeWrites === 'immediate') this.merger.flushStore();
    if (skipped) this.#m.skipped.inc(skipped);
    return { ok: true, status: 'applied', result: 'applied' };
  }
}

/** What one frame came to: applied, a duplicate, definitions registered, or refused (with the HTTP answer it gets alone). */
type FrameOutcome =
  | { ok: true; status: 'applied' | 'duplicate' | 'ok'; result: string }
  | { ok: false; http: number; result: string; code: string; message: string; extra: Record<string, unknown>; retryAfter?: string };

function refused(http: number, result: string, code: string, message: string, extra: Record<string, unknown> = {}, retryAfter?: string): FrameOutcome {
  return { ok: false, http, result, code, message, extra, ...(retryAfter ? { retryAfter } : {}) };
}

/**
 * Splits a request body into whole frames: one frame (the usual request), or several back to back (a replayed run of
 * spooled records). Each frame's header must be sound and its length must fit; the checksum is checked per frame later.
 */
export function splitFrames(body: Buffer): { ok: true; frames: Buffer[] } | { ok: false; message: string } {
  const frames: Buffer[] = [];
  let off = 0;
  while (off < body.length) {
    const h = parseHeader(body, off);
    if (!h.ok) {
      const why = h.reason === 'short' ? 'body shorter than a header' : h.reason;
      return { ok: false, message: frames.length ? `bad frame header at byte ${off} (${why})` : `bad frame header (${why})` };
    }
    const end = off + FRAME_HEADER_BYTES + h.header.length;
    if (end > body.length) return { ok: false, message: `body is ${body.length} bytes, the frame at byte ${off} says ${end - off}` };
    frames.push(body.subarray(off, end));
    off = end;
  }
  if (frames.length === 0) return { ok: false, message: 'bad frame header (body shorter than a header)' };
  return { ok: true, frames };
}
