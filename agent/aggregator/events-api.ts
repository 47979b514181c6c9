/**
 * The aggregator's events endpoints: POST /api/v1/ingest/events takes an agent's events (agent/wire/events.ts:
 * token-checked like batches, size-bounded, refused whole when malformed), GET /api/v1/events serves the fleet's
 * (filters `agent`, `kind`, `since`, `limit`; a read endpoint, so a token that may read is required when tokens are
 * set). The events are kept in memory by FleetEvents (events-store.ts); the anomaly starts received per agent are
 * counted in `outrider_aggregator_anomaly_events_total{agent}` and shown in /api/v1/agents.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Gauge } from 'prom-client';
import { HttpServer, sendJson } from '../core/http-server';
import type { Telemetry } from '../core/telemetry';
import { DEFAULT_EVENTS_LIMITS, EVENTS_INGEST_PATH, EventsLimits, parseEventsBody } from '../wire/events';
import { BearerTokens, grantsAgent } from './auth';
import { grantedBody, refuseRequest } from './ingest-request';
import { DEFAULT_FLEET_EVENTS, FleetEvents, FleetEventsOptions } from './events-store';

export const EVENTS_READ_PATH = '/api/v1/events';

export interface EventsApiOptions extends FleetEventsOptions {
  /** Largest request body of POST /api/v1/ingest/events. */
  maxBodyBytes: number;
  limits?: Partial<EventsLimits>;
}

export const DEFAULT_EVENTS_API: EventsApiOptions = { ...DEFAULT_FLEET_EVENTS, maxBodyBytes: 1024 * 1024 };

/** Most events one GET answers (the newest of the matching ones). */
const DEFAULT_LIMIT = 1000;

export class EventsApi {
  readonly store: FleetEvents;
  readonly #o: EventsApiOptions;
  readonly #limits: EventsLimits;
  readonly #tokens: BearerTokens;
  readonly #m: { requests: Counter; events: Counter; evicted: Counter; held: Gauge; heldBytes: Gauge; anomalies: Counter };
  readonly #evicted = { agent_ring: 0, store_full: 0, expired: 0 };

  constructor(tokens: BearerTokens, telemetry: Telemetry, o: Partial<EventsApiOptions> = {}) {
    this.#o = { ...DEFAULT_EVENTS_API, ...o };
    this.#limits = { ...DEFAULT_EVENTS_LIMITS, ...o.limits };
    this.#tokens = tokens;
    this.store = new FleetEvents(this.#o);
    const t = telemetry;
    this.#m = {
      requests: t.counter('outrider_aggregator_event_requests_total', 'Requests to POST /api/v1/ingest/events, by result (ok, unauthorized, forbidden, too_large, malformed, too_many_agents).', [
        'result',
      ]),
      events: t.counter('outrider_aggregator_events_received_total', 'Events received from agents, by result (stored, duplicate: sent again and kept once).', ['result']),
      evicted: t.counter('outrider_aggregator_events_evicted_total', 'Events let go, by reason (agent_ring: the agent ring was full; store_full; expired: the agent expired).', ['reason']),
      held: t.gauge('outrider_aggregator_events_held', 'Events held for GET /api/v1/events.'),
      heldBytes: t.gauge('outrider_aggregator_events_held_bytes', 'Estimated bytes of the events held (bounded by aggregator.events_max_bytes).'),
      anomalies: t.counter('outrider_aggregator_anomaly_events_total', 'Anomaly starts received per agent (the series leaves when the agent expires).', ['agent']),
    };
  }

  mount(server: HttpServer): void {
    server.route('POST', EVENTS_INGEST_PATH, (req, res) => this.#receive(req, res));
    server.route('GET', EVENTS_READ_PATH, (_req, res, url) => this.#read(res, url.searchParams));
  }

  /** Drops the events of agents not seen for `expiryMs` (by `lastSeen`, or their own last events). */
  expire(nowMs: number, expiryMs: number, lastSeen: (agent: string) => number | undefined): void {
    for (const agent of this.store.expire(nowMs, expiryMs, lastSeen)) this.#m.anomalies.remove({ agent });
    this.#sync();
  }

  /** What /api/v1/agents shows of an agent's anomalies (nothing when it sent no events). */
  agentFields(agent: string, nowMs = Date.now()): Record<string, number> {
    const a = this.store.anomalies(agent, nowMs);
    return a ? { anomaly_events_total: a.total, anomaly_events_last_hour: a.lastHour } : {};
  }

  #refuse(res: ServerResponse, status: number, result: string, code: string, message: string): void {
    refuseRequest(res, this.#m.requests, status, result, code, message);
  }

  async #receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const got = await grantedBody(req, this.#tokens, this.#o.maxBodyBytes, (...a) => this.#refuse(res, ...a));
    if (!got) return;
    const { grant, body: raw } = got;
    const parsed = parseEventsBody(raw, this.#limits);
    if (!parsed.ok) return this.#refuse(res, 400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_PAYLOAD', parsed.message);
    const body = parsed.body;
    if (!grantsAgent(grant, body.agent_id)) {
      return this.#refuse(res, 403, 'forbidden', 'OUTRIDER_ERR_AGG_FORBIDDEN_AGENT', `this token may not send events as agent ${JSON.stringify(body.agent_id)}`);
    }
    const r = this.store.add(body);
    if (!r.ok) return this.#refuse(res, 429, 'too_many_agents', 'OUTRIDER_ERR_AGG_TOO_MANY_AGENTS', 'the aggregator holds events of as many agents as it may');
    this.#m.requests.inc({ result: 'ok' });
    if (r.stored > 0) this.#m.events.inc({ result: 'stored' }, r.stored);
    if (r.duplicates > 0) this.#m.events.inc({ result: 'duplicate' }, r.duplicates);
    if (r.anomalies > 0) this.#m.anomalies.inc({ agent: body.agent_id }, r.anomalies);
    this.#sync();
    sendJson(res, 200, { status: 'ok', stored: r.stored, duplicates: r.duplicates });
  }

  #read(res: ServerResponse, params: URLSearchParams): void {
    const limit = params.get('limit') ?? '';
    const n = limit === '' ? DEFAULT_LIMIT : Number(limit);
    const since = params.get('since') ?? '';
    const sinceMs = since === '' ? undefined : parseTime(since);
    if (!Number.isSafeInteger(n) || n < 0 || sinceMs === null) {
      return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: 'limit must be an integer ≥ 0; since a Unix time in seconds or an RFC 3339 time' });
    }
    const events = this.store.query({ agents: params.getAll('agent'), kinds: params.getAll('kind'), ...(sinceMs !== undefined ? { sinceMs } : {}), limit: n });
    const data = events.map((e) => ({ ...e, time: new Date(e.timeMs).toISOString() }));
    sendJson(res, 200, { status: 'success', data: { events: data } });
  }

  /** Brings the eviction counter and the gauge up to the store's counts. */
  #sync(): void {
    for (const reason of ['agent_ring', 'store_full', 'expired'] as const) {
      const d = this.store.evicted[reason] - this.#evicted[reason];
      if (d > 0) this.#m.evicted.inc({ reason }, d);
      this.#evicted[reason] = this.store.evicted[reason];
    }
    this.#m.held.set(this.store.size);
    this.#m.heldBytes.set(this.store.bytes);
  }
}

/** A time as Prometheus's API takes it: Unix seconds (fractions allowed) or RFC 3339; null when it is neither. */
export function parseTime(s: string): number | null {
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}
