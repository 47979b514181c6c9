/**
 * `outrider aggregator`: receives agents' batches on POST /api/v1/ingest (docs/protocol.md), deduplicates them by
 * (agent, epoch, sequence), merges them into its own store (served on /metrics with the same exposition code as the
 * agent), keeps what it applied durable in its state directory, and forwards the merged series by remote write.
 * This file is the HTTP side: routes, bearer tokens (auth.ts), answers, and the life cycle; one frame is applied by
 * ingest.ts into the state store (state.ts) through the merger (merge.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Health } from '../core/component';
import { OutriderError } from '../core/errors';
import { Telemetry } from '../core/telemetry';
import { version } from '../core/version';
import { mountEndpoint } from '../exposition/endpoint';
import { HttpServer, sendJson, sendJsonBytes } from '../core/http-server';
import { splitFrames } from '../wire/frame';
import { ACK_BODIES, FramesAnswer, INGEST_PATH } from '../wire/ingest';
import { DEFAULT_PAYLOAD_LIMITS, PayloadLimits } from '../wire/payload';
import { Series, Store } from '../store/store';
import type { Logger as PinoLogger } from 'pino';
import { describeAgents } from './agents';
import { mountFleetPage } from './fleet-page';
import { mountProfiling } from '../core/profiling/routes';
import type { ProfilingOptions } from '../core/profiling/options';
import { BearerTokens } from './auth';
import { connectionCap, ConnectionLimits } from './connections';
import { EventsApi, EventsApiOptions, EVENTS_READ_PATH } from './events-api';
import { EVENTS_INGEST_PATH } from '../wire/events';
import { FrameOutcome, Ingest } from './ingest';
import { grantedBody, refuseRequest } from './ingest-request';
import { Merger } from './merge';
import { StateStore } from './state';

/** The endpoints that serve fleet data: a token that may read is required for them unless reads are public. */
const READS = new Set(['/metrics', '/api/v1/series', '/api/v1/agents', '/api/v1/status', EVENTS_READ_PATH]);

/** Remote write version of the forward: 1.0, 2.0, or 2.0 falling back to 1.0 per URL. */
export type ForwardProtocol = '1.0' | '2.0' | 'auto';

/** The remote write forward as the aggregator drives it. */
export interface Forwarder {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Reads the store and queues it for every URL now. */
  tick(): Promise<void>;
}

/**
 * Builds the forward over the aggregator's store. The composition root supplies it (the remote write output), so
 * the aggregator depends on no other component.
 */
export type ForwarderFactory = (
  store: Store,
  o: { name: string; urls: string[]; intervalMs: number; protocol: ForwardProtocol; log: PinoLogger; telemetry: Telemetry; health: Health; filter: (s: Series) => boolean; beforeRead: () => void },
) => Forwarder;

export interface AggregatorOptions {
  listen: string;
  /** /debug/pprof/ (off unless given and enabled). */
  profiling?: ProfilingOptions;
  tokens: string[];
  stateDir: string;
  remoteWrite: string[];
  /** Remote write version for the forward (default 1.0). */
  remoteWriteProtocol?: ForwardProtocol;
  /** Builds the forward to `remoteWrite` (required when there are URLs). */
  forwarder?: ForwarderFactory;
  forwardIntervalMs: number;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  /** Most bytes a payload may inflate to per compressed byte (default 256). */
  maxCompressionRatio?: number;
  maxAgents: number;
  maxSeries: number;
  /** How long a series definition no batch names is kept (ms; default 15 minutes). */
  definitionIdleMs?: number;
  /** The read endpoints (/metrics, /api/v1/series, /api/v1/agents, /api/v1/status, /api/v1/events) need no token (default false). */
  publicReads?: boolean;
  /** Largest step of a batch's sequence number past the highest applied (default 10,000,000). */
  maxSequenceJump?: number;
  /** How far ahead of this clock an agent's epoch may be (default 1 day). */
  maxEpochAheadMs?: number;
  /** Exporter-toolkit web config (TLS, basic auth on every path but ingest, headers); empty or absent: none. */
  webConfigFile?: string;
  /** Most open connections (default 10,000), held below the file descriptor limit. */
  maxConnections?: number;
  /** Most open connections from one client address (default 256). */
  maxConnectionsPerAddress?: number;
  /** Longest wait for a request's headers (default 10 s), checked every second. */
  headersTimeoutMs?: number;
  /** A connection with no traffic for this long is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** Bounds of one decoded payload (default DEFAULT_PAYLOAD_LIMITS). */
  payloadLimits?: Partial<PayloadLimits>;
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
  /** This aggregator's id, the `aggregator` label of its fleet series (default none: no label). */
  aggregatorId?: string;
  /** An agent not seen for this long leaves the fleet series and /api/v1/agents until it reports again (default 5 minutes). */
  agentExpiryMs?: number;
  /**
   * A retired agent not seen for this long is forgotten: its states, applied sequences and definitions leave the state
   * (default 24 hours; at least the expiry).
   */
  agentRetentionMs?: number;
  /** Agents' events (POST /api/v1/ingest/events, GET /api/v1/events): bounds; max_agents is the aggregator's. */
  events?: Partial<EventsApiOptions>;
}

export class Aggregator {
  readonly store: Store;
  readonly health = new Health();
  readonly telemetry: Telemetry;
  readonly state: StateStore;
  readonly merger: Merger;
  readonly #ingest: Ingest;
  readonly #opts: AggregatorOptions;
  readonly #server: HttpServer;
  readonly #tokens: BearerTokens;
  readonly #connections: ConnectionLimits;
  readonly #forward: Forwarder | undefined;
  readonly #events: EventsApi;
  #timers: NodeJS.Timeout[] = [];
  #started = false;
  #stopped = false;
  readonly #m;

  constructor(opts: AggregatorOptions) {
    this.#opts = opts;
    this.#tokens = new BearerTokens(opts.tokens, opts.listen, opts.publicReads ?? false);
    // Room above the merged series for the aggregator's own telemetry, which a full fleet must not crowd out.
    // Each (agent, series) state is an agent series, and at most as many fleet series again.
    this.store = new Store({ staleAfterMs: 365 * 24 * 3600_000, maxSeries: 2 * opts.maxSeries + 4096 });
    this.telemetry = new Telemetry({ runtimeMetrics: opts.runtimeMetrics ?? true });
    this.telemetry.setBuildInfo(false);
    this.state = new StateStore(opts.stateDir, opts.commitIntervalMs);
    const t = this.telemetry;
    const mismatch = t.counter('outrider_aggregator_sketch_mismatches_total', 'Agent sketches left out of a merge because their relative accuracy differs from the others of the series.');
    this.merger = new Merger(this.store, { quantiles: opts.quantiles, sketchMaxAgeMs: opts.sketchMaxAgeMs, onSketchMismatch: () => mismatch.inc(), aggregatorId: opts.aggregatorId ?? '' });
    this.#m = {
      requests: t.counter(
        'outrider_aggregator_requests_total',
        'Ingest requests, by result (applied, duplicate, definitions, handover, unknown_series, unauthorized, malformed, too_large, label_limit, forbidden, implausible, refused).',
        ['result'],
      ),
      samples: t.counter('outrider_aggregator_samples_total', 'Samples applied from agents.'),
      skipped: t.counter('outrider_aggregator_stale_samples_total', 'Samples skipped because a newer value of the series was already applied.'),
      agents: t.gauge('outrider_aggregator_agents', 'Agents the aggregator owns now (seen within aggregator.agent_expiry).'),
      retired: t.counter('outrider_aggregator_agents_retired_total', 'Agents retired from the fleet series because they were not seen for aggregator.agent_expiry.'),
      forgotten: t.counter('outrider_aggregator_agents_forgotten_total', 'Agents forgotten, with their series states, because they were not seen for aggregator.agent_retention.'),
      connRefused: t.counter('outrider_aggregator_connections_refused_total', 'Connections closed at once because a connection limit was reached, by reason (total, per_address).', ['reason']),
      connections: t.gauge('outrider_aggregator_connections', 'Open connections to the aggregator.'),
      readRefusals: t.counter('outrider_aggregator_read_refusals_total', 'Requests to the read endpoints without a token that may read.'),
      definitionsForgotten: t.counter('outrider_aggregator_definitions_forgotten_total', "Agents' series definitions forgotten because no batch named them for aggregator.definition_idle."),
      refusedSamples: t.counter(
        'outrider_aggregator_refused_samples_total',
        'Samples left out of the merge, by reason (non_finite: a NaN or infinity where values add up; type_mismatch; series_limit: a series new to a state that holds aggregator.max_series).',
        ['reason'],
      ),
    };
    this.#ingest = new Ingest(this.state, this.merger, {
      maxDecompressedBytes: opts.maxDecompressedBytes,
      maxCompressionRatio: opts.maxCompressionRatio ?? 256,
      maxAgents: opts.maxAgents,
      maxSeries: opts.maxSeries,
      maxSequenceJump: opts.maxSequenceJump ?? 10_000_000,
      maxEpochAheadMs: opts.maxEpochAheadMs ?? 24 * 3600_000,
      limits: { ...DEFAULT_PAYLOAD_LIMITS, ...opts.payloadLimits },
      storeWrites: opts.storeWrites ?? 'on-read',
      samples: this.#m.samples,
      skipped: this.#m.skipped,
      refusedSamples: { inc: (labels, n) => this.#m.refusedSamples.inc(labels, n) },
      definitionIdleMs: opts.definitionIdleMs,
      definitionsForgotten: this.#m.definitionsForgotten,
    });
    const cap = connectionCap(opts.maxConnections ?? 10_000);
    this.#connections = new ConnectionLimits({
      maxConnections: cap,
      maxPerAddress: opts.maxConnectionsPerAddress ?? 256,
      idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
      log: opts.log,
      onRefuse: (reason) => this.#m.connRefused.inc({ reason }),
    });
    this.#server = new HttpServer({
      name: 'aggregator',
      listen: opts.listen,
      log: opts.log,
      // Agents authenticate ingest with their bearer tokens.
      webConfigFile: opts.webConfigFile,
      authExempt: new Set([INGEST_PATH, EVENTS_INGEST_PATH]),
      requestTimeoutMs: 60_000,
      headersTimeoutMs: opts.headersTimeoutMs ?? 10_000,
      timeoutCheckMs: Math.min(1000, opts.headersTimeoutMs ?? 1000),
      maxConnections: this.#connections.maxConnections + 64,
      admit: (s) => this.#connections.admit(s),
      guard: (req, res, url) => {
        if (!READS.has(url.pathname) || this.#tokens.mayRead(req)) return true;
        this.#m.readRefusals.inc();
        res.setHeader('WWW-Authenticate', 'Bearer');
        sendJson(res, 401, { status: 'error', code: 'OUTRIDER_ERR_AGG_UNAUTHORIZED', message: 'a bearer token that may read is required' });
        return false;
      },
    });
    const catchUp = () => this.merger.flushStore();
    mountEndpoint(this.#server, { store: this.store, health: this.health, status: () => ({ version, role: 'aggregator', agents: this.state.agents.size }), beforeRead: catchUp });
    this.#server.route('POST', INGEST_PATH, (req, res) => this.#receive(req, res));
    this.#server.route('GET', '/api/v1/agents', (_req, res) => sendJson(res, 200, { agents: this.agents() }));
    this.#events = new EventsApi(this.#tokens, t, { maxAgents: opts.maxAgents, ...opts.events });
    this.#events.mount(this.#server);
    mountFleetPage(this.#server);
    if (opts.profiling) mountProfiling(this.#server, opts.profiling, opts.log);
    if (opts.remoteWrite.length > 0) {
      if (!opts.forwarder) throw new OutriderError('OUTRIDER_ERR_AGG_CONFIG', 'aggregator.remote_write is set but no forward output was supplied');
      this.#forward = opts.forwarder(this.store, {
        name: 'forward',
        urls: opts.remoteWrite,
        intervalMs: opts.forwardIntervalMs,
        log: opts.log,
        telemetry: this.telemetry,
        health: this.health,
        filter: (s) => s.owner !== 'outrider' && this.merger.forwardable(s),
        beforeRead: catchUp,
        protocol: opts.remoteWriteProtocol ?? '1.0',
      });
    }
  }

  url(): string {
    return this.#server.url();
  }

  /** The agents this aggregator owns now (those retired after aggregator.agent_expiry are left out). */
  agents(): Array<Record<string, unknown>> {
    const now = Date.now();
    return describeAgents(
      [...this.state.agents.values()].filter((a) => !this.merger.isRetired(a.id)),
      now,
    ).map((r) => ({ ...r, ...this.#events.agentFields(String(r.agent_id), now) }));
  }

  /** Retires the agents not seen for the expiry from the fleet series (they rejoin with their next batch). */
  expireAgents(nowMs = Date.now()): number {
    const expiry = this.#opts.agentExpiryMs ?? 300_000;
    let n = 0;
    for (const a of this.state.agents.values()) if (nowMs - a.lastSeenMs > expiry && this.merger.retire(a.id)) n++;
    if (n > 0) this.#m.retired.inc(n);
    this.#events.expire(nowMs, expiry, (id) => this.state.agents.get(id)?.lastSeenMs);
    return n;
  }

  /**
   * Forgets the retired agents not seen for `agentRetentionMs`: their series states leave the merger and the state
   * (logged; committed soon after), and their definitions the interning tables. Their contribution left the fleet
   * series when they were retired; a fleet series none of the remaining states adds to leaves the store. Returns how
   * many were forgotten.
   */
  forgetAgents(nowMs = Date.now()): number {
    const retention = Math.max(this.#opts.agentRetentionMs ?? 24 * 3600_000, this.#opts.agentExpiryMs ?? 300_000);
    const ids: string[] = [];
    for (const a of this.state.agents.values()) if (nowMs - a.lastSeenMs > retention && this.merger.isRetired(a.id)) ids.push(a.id);
    if (ids.length === 0) return 0;
    const states = [];
    for (const id of ids) {
      for (const st of this.merger.forget(id)) states.push(st);
      this.#ingest.forgetDefinitions(id);
    }
    this.state.forget(ids, states);
    this.#m.forgotten.inc(ids.length);
    this.state.commit().catch(() => undefined); // a failure is the state's onFatal
    this.#opts.log.info({ agents: ids.length, series: states.length }, 'Forgot agents not seen for aggregator.agent_retention.');
    return ids.length;
  }

  /** The remote write forward (undefined without aggregator.remote_write). */
  get forward(): Forwarder | undefined {
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
    const expiry = this.#opts.agentExpiryMs ?? 300_000;
    const now = Date.now();
    this.merger.rebuild(this.state.series.values(), (id) => now - (this.state.agents.get(id)?.lastSeenMs ?? 0) > expiry);
    await this.#server.start();
    this.health.report('aggregator', 'running', { ready: true, detail: `listening on ${this.#server.url()}`, info: { agents: this.state.agents.size } });
    await this.#forward?.start();
    const snap = setInterval(() => {
      this.state.snapshot().catch((err: Error) => this.#opts.log.error({ err: err.message }, 'Writing the state snapshot failed; the log keeps growing.'));
    }, this.#opts.snapshotIntervalMs);
    const tele = setInterval(() => {
      this.expireAgents();
      this.forgetAgents();
      void this.#copyTelemetry();
      this.merger.expireSketches();
    }, 1000);
    snap.unref();
    tele.unref();
    this.#timers.push(snap, tele);
    await this.#copyTelemetry();
    if (this.#tokens.unbound > 0)
      this.#opts.log.warn({ tokens: this.#tokens.unbound }, 'Some tokens are not bound to agent ids: their holders may send batches as any agent (see aggregator.tokens_file).');
    if (this.#tokens.open) this.#opts.log.warn({ listen: this.#opts.listen }, 'No tokens configured: the aggregator serves loopback only and accepts any local client.');
    this.#opts.log.info(
      { url: this.#server.url(), state_dir: this.#opts.stateDir, agents: this.state.agents.size, series: this.state.series.size, remote_write: this.#opts.remoteWrite.length, version },
      'Outrider aggregator is ready.',
    );
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
    let owned = 0;
    for (const id of this.state.agents.keys()) if (!this.merger.isRetired(id)) owned++;
    this.#m.agents.set(owned);
    this.#m.connections.set(this.#connections.open);
    this.store.replaceOwned('outrider', await this.telemetry.snapshot());
  }

  #refuse(res: ServerResponse, status: number, result: string, code: string, message: string, extra: Record<string, unknown> = {}): void {
    refuseRequest(res, this.#m.requests, status, result, code, message, extra);
  }

  async #receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const got = await grantedBody(req, this.#tokens, this.#opts.maxBodyBytes, (...a) => this.#refuse(res, ...a));
    if (!got) return;
    const { grant, body } = got;
    const frames = splitFrames(body);
    if (!frames.ok) return this.#refuse(res, 400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_FRAME', frames.message);
    // Inflated first (a large payload off the event loop, inflate.ts), then applied in order within one turn.
    const inflated: Array<Buffer | FrameOutcome> = [];
    for (const f of frames.frames) {
      const b = await this.#ingest.inflate(f);
      inflated.push(b);
      if (!Buffer.isBuffer(b)) break;
    }
    const applied = (i: number): FrameOutcome => {
      const b = inflated[i];
      return b === undefined || Buffer.isBuffer(b) ? this.#ingest.apply(frames.frames[i]!, grant, b) : b;
    };
    if (frames.frames.length === 1) {
      const r = applied(0);
      // Acknowledge only once the application (or, for a duplicate, the original one) is durable.
      if (r.ok && (r.status !== 'ok' || r.result === 'handover')) await this.state.commit();
      return this.#answer(res, r);
    }
    // Several frames back to back (a replayed run of spooled batches): applied in order, each once, up to the first
    // that is not; one commit makes them all durable before the answer lists each frame's outcome.
    const answer: FramesAnswer = { status: 'frames', results: [] };
    for (const [i, f] of frames.frames.entries()) {
      const r = applied(i);
      const { epoch, seq } = f.header;
      this.#m.requests.inc({ result: r.result });
      if (r.ok) {
        answer.results.push({ epoch, seq, status: r.status });
        continue;
      }
      answer.results.push({ epoch, seq, status: 'error', http_status: r.http, code: r.code, message: r.message, ...r.extra, ...(r.retryAfter ? { retry_after: r.retryAfter } : {}) });
      break;
    }
    await this.state.commit();
    sendJson(res, 200, answer);
  }

  #answer(res: ServerResponse, r: FrameOutcome): void {
    if (!r.ok) {
      if (r.retryAfter) res.setHeader('Retry-After', r.retryAfter);
      return this.#refuse(res, r.http, r.result, r.code, r.message, r.extra);
    }
    this.#m.requests.inc({ result: r.result });
    sendJsonBytes(res, 200, ACK_BODIES[r.status]);
  }
}
