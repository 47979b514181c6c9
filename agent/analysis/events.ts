/**
 * The agent's event log: anomaly start/end, forecast crossings, drift. A bounded ring (the oldest go first), each
 * event also written as one structured log line, served by GET /api/v1/events.
 */
import type { Logger } from 'pino';

export type EventKind = 'anomaly_start' | 'anomaly_end' | 'forecast_crossing' | 'forecast_clear' | 'drift_start' | 'drift_end';

export interface AgentEvent {
  /** Increasing from 1 for the life of the log: a reader asks for the events after the last id it saw. */
  readonly id: number;
  /** When it happened (ms since the epoch; the sampling round's time for analysis events). */
  readonly timeMs: number;
  readonly kind: EventKind;
  /** The metric family the event is about. */
  readonly family: string;
  /** The series' labels, without __name__. */
  readonly labels: Readonly<Record<string, string>>;
  /** Kind-specific figures (score, seconds until full, resource...). */
  readonly detail: Readonly<Record<string, number | string>>;
}

export type NewEvent = Omit<AgentEvent, 'id'>;

/** What a component records events into (the EventLog). */
export interface EventSink {
  push(e: NewEvent): unknown;
}

export class EventLog {
  readonly #ring: (AgentEvent | undefined)[];
  readonly #log: Logger | undefined;
  #next = 1;
  #dropped = 0;

  constructor(capacity: number, log?: Logger) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event log capacity must be an integer ≥ 1, got ${capacity}`);
    this.#ring = new Array<AgentEvent | undefined>(capacity).fill(undefined);
    this.#log = log;
  }

  get capacity(): number {
    return this.#ring.length;
  }

  /** Events that left the ring to make room. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The id the next event gets. */
  get nextId(): number {
    return this.#next;
  }

  push(e: NewEvent): AgentEvent {
    const event: AgentEvent = { id: this.#next++, ...e };
    const i = (event.id - 1) % this.#ring.length;
    if (this.#ring[i]) this.#dropped++;
    this.#ring[i] = event;
    this.#log?.info({ event: event.kind, id: event.id, family: event.family, labels: event.labels, ...event.detail }, `Event: ${event.kind}.`);
    return event;
  }

  /** Events with id > `afterId`, oldest first, at most `limit` (the oldest of them). */
  list(afterId = 0, limit = this.#ring.length): AgentEvent[] {
    const out: AgentEvent[] = [];
    const first = Math.max(afterId + 1, this.#next - this.#ring.length, 1);
    for (let id = first; id < this.#next && out.length < limit; id++) out.push(this.#ring[(id - 1) % this.#ring.length]!);
    return out;
  }
}

/** The body of GET /api/v1/events?after=<id>&limit=<n> (Prometheus's envelope); a bad parameter is a 400. */
export function eventsResponse(events: EventLog, params: URLSearchParams): { status: number; body: unknown } {
  const num = (name: string, dflt: number): number | undefined => {
    const raw = params.get(name);
    if (raw === null || raw === '') return dflt;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  };
  const after = num('after', 0);
  const limit = num('limit', events.capacity);
  if (after === undefined || limit === undefined) {
    return { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'after and limit must be integers ≥ 0' } };
  }
  const list = events.list(after, limit).map((e) => ({ ...e, time: new Date(e.timeMs).toISOString() }));
  return { status: 200, body: { status: 'success', data: { events: list, next_id: events.nextId, dropped: events.dropped } } };
}
