/**
 * Sends the agent's events (ctx.events: anomaly start and end, forecast crossings, drift) to the aggregator the
 * reporter reports to now, so they follow its sharding and failover. Delivery (docs/protocol.md, Events):
 *
 * - Every second the new events of the event log are taken into a bounded queue (`maxQueue`; past it the oldest go,
 *   counted as `outrider_events_dropped_total{reason="queue_full"}`; events the log let go before they were taken
 *   count as `overwritten`).
 * - One request at a time: a JSON batch of at most `maxBatch` events, oldest first, POSTed to
 *   /api/v1/ingest/events with the reporter's token and TLS settings. A retryable answer (429, 5xx, a network error,
 *   a timeout) is retried with exponential backoff and full jitter (the reporter's `report.retry_*` bounds, or the
 *   server's Retry-After) for as long as the queue holds the events; a 413 halves the batch; any other refusal drops
 *   the batch (`reason="refused"`, logged).
 * - At least once: a batch is sent again until it is answered, and the aggregator keeps an event once by (agent,
 *   epoch, id). The queue is in memory only: what is queued when the process dies is lost (each event is also a log
 *   line of the agent). On stop it is sent for up to `drainMs`; a reload keeps the queue, the epoch and the ids
 *   (they belong to the event log, which outlives the reporter).
 */
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import { Pool } from 'undici';
import type { Component, Health } from '../core/component';
import type { AgentContext } from '../core/context';
import { RateLimiter } from '../core/log';
import type { Telemetry } from '../core/telemetry';
import { EVENTS_CONTENT_TYPE, eventsIngestPath, type EventsBody, type WireEvent } from '../wire/events';
import { backoffMs, type SendResult } from './send-result';
import { aggregatorHeaders, aggregatorPool, postToAggregator } from './transport';
import type { ClientTlsOptions } from './tls/options';

export interface EventsSenderOptions {
  agentId: string;
  token: string | undefined;
  tls?: ClientTlsOptions;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  drainMs: number;
  /** Events waiting to be sent, at most. */
  maxQueue: number;
  /** Events in one request, at most. */
  maxBatch: number;
  /** How often the event log is read (default 1 s). */
  pollMs?: number;
}

export type EventFeed = NonNullable<AgentContext['events']>;

/** What outlives one sender (a reload builds a new one): the log's epoch, the last id taken, the queue. */
interface Stream {
  epoch: number;
  cursor: number;
  queue: WireEvent[];
}

const streams = new WeakMap<object, Stream>();

/** A detail value as JSON can carry it: non-finite numbers become Prometheus's spellings. */
const finite = (v: number | string): number | string => (typeof v === 'string' || Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf');

function toWire(e: ReturnType<EventFeed['list']>[number]): WireEvent {
  const detail: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(e.detail)) detail[k] = finite(v);
  return { id: e.id, timeMs: e.timeMs, kind: e.kind, family: e.family, labels: { ...e.labels }, detail };
}

export interface EventsSenderDeps {
  log: Logger;
  telemetry: Telemetry;
  health: Health;
}

export class EventsSender implements Component {
  readonly name = 'report_events';
  readonly #feed: EventFeed;
  readonly #endpoint: () => string;
  readonly #o: EventsSenderOptions;
  readonly #deps: EventsSenderDeps;
  readonly #stream: Stream;
  readonly #pools = new Map<string, { pool: Pool; path: string }>();
  readonly #warn = new RateLimiter(60_000, 1);
  readonly #m: { queued: Counter; sent: Counter; dropped: Counter; failures: Counter; queue: Gauge };
  #fresh: boolean;
  #batchSize: number;
  #attempt = 0;
  #retryAt = 0;
  #sending: Promise<void> | undefined;
  #poll: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failing: string | undefined;
  #started = false;
  #stopped = false;

  /** `endpoint()`: the aggregator base URL to send to now (the reporter's current one). */
  constructor(feed: EventFeed, endpoint: () => string, o: EventsSenderOptions, deps: EventsSenderDeps) {
    this.#feed = feed;
    this.#endpoint = endpoint;
    this.#o = o;
    this.#deps = deps;
    let s = streams.get(feed);
    this.#fresh = !s;
    if (!s) streams.set(feed, (s = { epoch: Date.now(), cursor: 0, queue: [] }));
    this.#stream = s;
    this.#batchSize = o.maxBatch;
    const t = deps.telemetry;
    this.#m = {
      queued: t.counter('outrider_events_queued_total', 'Events taken from the event log into the queue towards the aggregator.'),
      sent: t.counter('outrider_events_sent_total', 'Events the aggregator acknowledged (kept, or already kept).'),
      dropped: t.counter(
        'outrider_events_dropped_total',
        'Events not delivered to the aggregator, by reason (queue_full, overwritten: the event log let them go before they were taken, refused: the aggregator refused the batch).',
        ['reason'],
      ),
      failures: t.counter('outrider_events_send_failures_total', 'Requests of events that failed and are retried (429, 5xx, network errors, timeouts).'),
      queue: t.gauge('outrider_events_queue_length', 'Events waiting to be sent to the aggregator.'),
    };
  }

  /** Events waiting (tests, /healthz). */
  get queued(): number {
    return this.#stream.queue.length;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#poll = setInterval(() => this.#tick(), this.#o.pollMs ?? 1000);
    this.#poll.unref();
    this.#deps.health.report(this.name, 'running', { ready: true, detail: 'sending events to the aggregator', info: { epoch: this.#stream.epoch } });
    this.#tick();
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#poll);
    clearTimeout(this.#retry);
    this.#take();
    await this.#sending;
    // Drain: whatever the backoff said, try until the queue is empty, a send fails, or the time is up.
    const deadline = Date.now() + this.#o.drainMs;
    while (this.#stream.queue.length > 0 && Date.now() < deadline) {
      if ((await this.#sendOnce(deadline - Date.now())) !== 'sent') break;
    }
    const left = this.#stream.queue.length;
    if (left > 0) this.#deps.log.warn({ events: left }, 'Events not yet delivered to the aggregator stay queued in memory; they are lost if the agent exits.');
    for (const p of this.#pools.values()) await p.pool.destroy().catch(() => undefined);
    this.#pools.clear();
    this.#deps.health.report(this.name, 'stopped', { ready: false });
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#take();
    this.#pump();
  }

  /** Takes the log's new events into the queue, oldest first; the queue keeps its newest `maxQueue`. */
  #take(): void {
    const s = this.#stream;
    for (;;) {
      const got = this.#feed.list(s.cursor, 1000);
      if (got.length === 0) break;
      const gap = got[0]!.id - s.cursor - 1;
      // A new sender takes what the log still holds: what it let go earlier was never this sender's to lose.
      if (gap > 0 && !this.#fresh) this.#drop('overwritten', gap);
      for (const e of got) s.queue.push(toWire(e));
      s.cursor = got[got.length - 1]!.id;
      this.#m.queued.inc(got.length);
    }
    this.#fresh = false;
    const over = s.queue.length - this.#o.maxQueue;
    if (over > 0) {
      s.queue.splice(0, over);
      this.#drop('queue_full', over);
    }
    this.#m.queue.set(s.queue.length);
  }

  #drop(reason: 'queue_full' | 'overwritten' | 'refused', n: number): void {
    this.#m.dropped.inc({ reason }, n);
    if (this.#warn.allow(reason)) this.#deps.log.warn({ reason, events: n }, 'Events were dropped before reaching the aggregator.');
  }

  /** Sends batches one at a time while they are acknowledged; after a retryable failure, again after the backoff. */
  #pump(): void {
    if (this.#sending || this.#stopped || this.#stream.queue.length === 0 || Date.now() < this.#retryAt) return;
    this.#sending = (async () => {
      let more = true;
      while (more && !this.#stopped) more = (await this.#sendOnce(this.#o.timeoutMs)) === 'sent';
    })().finally(() => {
      this.#sending = undefined;
    });
  }

  /** One batch: 'sent' when the queue moved on (acknowledged, or refused and dropped), 'retry' when it must wait. */
  async #sendOnce(timeoutMs: number): Promise<'sent' | 'retry' | 'empty'> {
    const s = this.#stream;
    if (s.queue.length === 0) return 'empty';
    const batch = s.queue.slice(0, this.#batchSize);
    const last = batch[batch.length - 1]!.id;
    const body: EventsBody = { agent_id: this.#o.agentId, epoch: s.epoch, events: batch };
    const endpoint = this.#endpoint();
    const r = await this.#post(endpoint, Buffer.from(JSON.stringify(body)), Math.max(1, timeoutMs));
    if (r.kind === 'success') {
      this.#settle(last);
      this.#m.sent.inc(batch.length);
      this.#attempt = 0;
      this.#retryAt = 0;
      if (this.#failing !== undefined) this.#deps.health.report(this.name, 'running', { ready: true, detail: `sending events to ${endpoint}` });
      this.#failing = undefined;
      return 'sent';
    }
    if (r.kind === 'failure') {
      if (r.status === 413 && batch.length > 1) {
        this.#batchSize = Math.max(1, Math.floor(batch.length / 2));
        return 'sent';
      }
      this.#settle(last);
      this.#drop('refused', batch.length);
      this.#deps.log.warn({ endpoint, reason: r.reason, events: batch.length }, 'The aggregator refused a batch of events; it is dropped.');
      return 'sent';
    }
    const reason = r.kind === 'retryable' ? r.reason : 'unexpected answer';
    this.#m.failures.inc();
    const wait = (r.kind === 'retryable' ? r.retryAfterMs : undefined) ?? backoffMs(this.#attempt++, this.#o.backoffBaseMs, this.#o.backoffMaxMs);
    this.#retryAt = Date.now() + wait;
    if (!this.#stopped) {
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.#tick(), wait + 1);
      this.#retry.unref();
    }
    if (this.#failing === undefined) this.#deps.health.report(this.name, 'degraded', { ready: true, detail: `sending events to ${endpoint} failed (${reason}); retrying` });
    this.#failing = reason;
    if (this.#warn.allow('retry')) this.#deps.log.warn({ endpoint, reason, queued: s.queue.length }, 'Sending events to the aggregator failed; retrying with backoff.');
    return 'retry';
  }

  /** Removes the events up to id `last` from the head of the queue (the queue may have lost some meanwhile). */
  #settle(last: number): void {
    const q = this.#stream.queue;
    let n = 0;
    while (n < q.length && q[n]!.id <= last) n++;
    q.splice(0, n);
    this.#m.queue.set(q.length);
  }

  async #post(endpoint: string, body: Buffer, timeoutMs: number): Promise<SendResult> {
    let p = this.#pools.get(endpoint);
    if (!p) {
      const u = new URL(endpoint);
      this.#pools.set(endpoint, (p = { pool: aggregatorPool(u, 1, this.#o.timeoutMs, this.#o.tls), path: eventsIngestPath(u) }));
    }
    const headers = aggregatorHeaders(EVENTS_CONTENT_TYPE, this.#o.agentId, this.#o.token);
    return postToAggregator(p.pool, p.path, headers, body, timeoutMs, AbortSignal.timeout(timeoutMs));
  }
}
