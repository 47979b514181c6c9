/**
 * The events exchange between an agent and its aggregator (docs/protocol.md, Events): the agent posts the events of
 * its local log (anomaly start and end, forecast crossings, drift) as one JSON document per request,
 *
 *   POST /api/v1/ingest/events   content-type: application/json   authorization: Bearer <token>
 *   {"agent_id": "web-17", "epoch": 1733480000000,
 *    "events": [{"id": 7, "timeMs": 1733480012000, "kind": "anomaly_start", "family": "node_load1",
 *                "labels": {}, "detail": {"score": 0.93, "value": 41}}, ...]}
 *
 * `id` increases from 1 within an `epoch` (the agent process's event log), so (agent, epoch, id) names an event
 * once: the agent sends in id order and sends a batch again until it is answered, the aggregator keeps an event only
 * when its id is above the highest it kept for that agent and epoch. Answers:
 *
 *   200 {"status": "ok", "stored": n, "duplicates": m}
 *   4xx/5xx {"status": "error", "code", "message"}     as for batches (401, 403, 413, 429; 400 for a malformed body)
 *
 * parseEventsBody checks a body against the bounds below before anything of it is kept.
 */

export const EVENTS_INGEST_PATH = '/api/v1/ingest/events';
export const EVENTS_CONTENT_TYPE = 'application/json';

/** The request path under an endpoint URL (an endpoint may carry a path prefix, e.g. behind a proxy). */
export function eventsIngestPath(endpoint: URL): string {
  return (endpoint.pathname.replace(/\/+$/, '') || '') + EVENTS_INGEST_PATH;
}

/** One event as it travels (the agent's GET /api/v1/events shape, without the derived `time`). */
export interface WireEvent {
  id: number;
  timeMs: number;
  kind: string;
  family: string;
  labels: Record<string, string>;
  detail: Record<string, number | string>;
}

export interface EventsBody {
  agent_id: string;
  epoch: number;
  events: WireEvent[];
}

/** What one request may hold; anything past a bound refuses the whole body. */
export interface EventsLimits {
  /** Events in one request. */
  maxEvents: number;
  /** Labels of one event, and entries of its detail. */
  maxLabels: number;
  /** Characters of a label name, a detail key, the agent id and the kind. */
  maxNameChars: number;
  /** Characters of a label value, a family name and a string in the detail. */
  maxValueChars: number;
}

export const DEFAULT_EVENTS_LIMITS: EventsLimits = { maxEvents: 1000, maxLabels: 64, maxNameChars: 256, maxValueChars: 4096 };

const KIND = /^[a-z][a-z0-9_]*$/;

export type ParsedEvents = { ok: true; body: EventsBody } | { ok: false; message: string };

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (o: Record<string, unknown>): number => {
  let n = 0;
  for (const _ in o) n++;
  return n;
};

function stringMap(v: unknown, what: string, l: EventsLimits): string | undefined {
  if (!isPlain(v)) return `${what} must be an object`;
  if (count(v) > l.maxLabels) return `${what} has more than ${l.maxLabels} entries`;
  for (const [k, x] of Object.entries(v)) {
    if (k.length === 0 || k.length > l.maxNameChars) return `${what} has a name of ${k.length} characters`;
    if (typeof x !== 'string' || x.length > l.maxValueChars) return `${what}.${k} must be a string of at most ${l.maxValueChars} characters`;
  }
  return undefined;
}

function detailMap(v: unknown, l: EventsLimits): string | undefined {
  if (!isPlain(v)) return 'detail must be an object';
  if (count(v) > l.maxLabels) return `detail has more than ${l.maxLabels} entries`;
  for (const [k, x] of Object.entries(v)) {
    if (k.length === 0 || k.length > l.maxNameChars) return `detail has a name of ${k.length} characters`;
    const ok = (typeof x === 'number' && Number.isFinite(x)) || (typeof x === 'string' && x.length <= l.maxValueChars);
    if (!ok) return `detail.${k} must be a finite number or a string of at most ${l.maxValueChars} characters`;
  }
  return undefined;
}

function checkEvent(e: unknown, l: EventsLimits): string | undefined {
  if (!isPlain(e)) return 'an event must be an object';
  if (!Number.isSafeInteger(e.id) || (e.id as number) < 1) return 'id must be an integer ≥ 1';
  if (typeof e.timeMs !== 'number' || !Number.isFinite(e.timeMs)) return 'timeMs must be a finite number';
  if (typeof e.kind !== 'string' || e.kind.length > l.maxNameChars || !KIND.test(e.kind)) return 'kind must be a lower-case name ([a-z][a-z0-9_]*)';
  if (typeof e.family !== 'string' || e.family.length > l.maxValueChars) return `family must be a string of at most ${l.maxValueChars} characters`;
  return stringMap(e.labels, 'labels', l) ?? detailMap(e.detail, l);
}

/** The body, checked against `limits` and the shape above; the first problem found otherwise. */
export function parseEventsBody(raw: Buffer, limits: EventsLimits = DEFAULT_EVENTS_LIMITS): ParsedEvents {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return { ok: false, message: `the body is not JSON: ${(err as Error).message}` };
  }
  if (!isPlain(doc)) return { ok: false, message: 'the body must be a JSON object' };
  const { agent_id: agentId, epoch, events } = doc;
  if (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > limits.maxNameChars) return { ok: false, message: `agent_id must be a string of 1 to ${limits.maxNameChars} characters` };
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0) return { ok: false, message: 'epoch must be an integer ≥ 0' };
  if (!Array.isArray(events)) return { ok: false, message: 'events must be an array' };
  if (events.length > limits.maxEvents) return { ok: false, message: `more than ${limits.maxEvents} events in one request` };
  for (const [i, e] of events.entries()) {
    const problem = checkEvent(e, limits);
    if (problem) return { ok: false, message: `events[${i}]: ${problem}` };
  }
  return { ok: true, body: { agent_id: agentId, epoch: epoch as number, events: events as WireEvent[] } };
}
