/**
 * The aggregator's fleet events: what agents reported on POST /api/v1/ingest/events (agent/wire/events.ts), kept in
 * memory, served by GET /api/v1/events. Bounded four ways: a ring per agent (`perAgent`, the oldest go first), the
 * whole store in events (`maxEvents`) and in bytes (`maxBytes`, an estimate of each event's strings and numbers):
 * past either every agent is cut to the same share of events, so a noisy agent loses its oldest events before a quiet
 * one loses any; and the agents (`maxAgents`). An agent leaves with its events once it is not seen
 * (batches or events) for the agent expiry, like the rest of the aggregator's view of it.
 *
 * Deduplication: per agent, the epoch of its event log and the highest event id kept in it. An event at or under
 * that id is a duplicate (the agent sent it again because an answer was lost); an epoch other than the one held is a
 * new event log (the agent restarted) and starts again from its first id.
 *
 * Anomaly rate: every anomaly start kept counts in the agent's total and in one of 60 one-minute buckets (by the
 * event's time), so `anomaliesLastHour` is exact for the events received, whatever the ring still holds.
 */
import type { EventsBody, WireEvent } from '../wire/events';

export interface FleetEvent extends WireEvent {
  agent: string;
  epoch: number;
  /** When the aggregator received it (ms since the epoch). */
  receivedMs: number;
}

/** Bytes an event holds, estimated: its strings at 2 bytes a character, 8 per number, a fixed overhead per entry. */
export function eventBytes(e: WireEvent): number {
  let n = 160 + 2 * (e.kind.length + e.family.length);
  for (const k in e.labels) n += 48 + 2 * (k.length + e.labels[k]!.length);
  for (const k in e.detail) {
    const v = e.detail[k]!;
    n += 48 + 2 * k.length + (typeof v === 'string' ? 2 * v.length : 8);
  }
  return n;
}

export interface FleetEventsOptions {
  /** Events kept per agent. */
  perAgent: number;
  /** Events kept in all. */
  maxEvents: number;
  /** Estimated bytes of the events kept in all (eventBytes). */
  maxBytes: number;
  /** Agents with events kept. */
  maxAgents: number;
}

export const DEFAULT_FLEET_EVENTS: FleetEventsOptions = { perAgent: 1000, maxEvents: 100_000, maxBytes: 64 * 1024 * 1024, maxAgents: 10_000 };

export type AddResult = { ok: true; stored: number; duplicates: number; anomalies: number } | { ok: false; reason: 'too_many_agents' };

export interface EventQuery {
  agents?: readonly string[];
  kinds?: readonly string[];
  /** Events at or after this time (ms). */
  sinceMs?: number;
  /** The newest `limit` of the matching events, returned oldest first. */
  limit: number;
}

const MINUTE = 60_000;
const BUCKETS = 60;

/** A fixed-capacity ring, oldest first. */
class Ring {
  readonly #items: (FleetEvent | undefined)[];
  readonly #bytes: number[];
  #head = 0;
  size = 0;
  /** Estimated bytes of the events held. */
  bytes = 0;

  constructor(capacity: number) {
    this.#items = new Array<FleetEvent | undefined>(capacity);
    this.#bytes = new Array<number>(capacity).fill(0);
  }

  /** Adds `e` of `bytes`; true when the oldest had to go to make room. */
  push(e: FleetEvent, bytes: number): boolean {
    const cap = this.#items.length;
    const full = this.size === cap;
    if (full) this.dropOldest(1);
    const i = (this.#head + this.size++) % cap;
    this.#items[i] = e;
    this.#bytes[i] = bytes;
    this.bytes += bytes;
    return full;
  }

  /** Removes the `n` oldest. */
  dropOldest(n: number): void {
    const cap = this.#items.length;
    for (let i = 0; i < n && this.size > 0; i++) {
      this.#items[this.#head] = undefined;
      this.bytes -= this.#bytes[this.#head]!;
      this.#head = (this.#head + 1) % cap;
      this.size--;
    }
  }

  *[Symbol.iterator](): Generator<FleetEvent> {
    for (let i = 0; i < this.size; i++) yield this.#items[(this.#head + i) % this.#items.length]!;
  }
}

interface AgentEvents {
  epoch: number;
  highId: number;
  ring: Ring;
  lastSeenMs: number;
  anomalies: number;
  /** Anomaly starts per minute: bucket i holds minute `minutes[i]` (ms / 60 s). */
  buckets: Int32Array;
  minutes: Float64Array;
}

export class FleetEvents {
  readonly #o: FleetEventsOptions;
  readonly #agents = new Map<string, AgentEvents>();
  #total = 0;
  #bytes = 0;
  /** Events that left to make room, by reason (agent_ring: its agent's ring was full; store_full; expired). */
  readonly evicted = { agent_ring: 0, store_full: 0, expired: 0 };

  constructor(o: Partial<FleetEventsOptions> = {}) {
    this.#o = { ...DEFAULT_FLEET_EVENTS, ...o };
  }

  /** Events held now. */
  get size(): number {
    return this.#total;
  }

  /** Estimated bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  get agentCount(): number {
    return this.#agents.size;
  }

  /** Keeps the events of `body` that are new (see the file comment); refuses a new agent past `maxAgents`. */
  add(body: EventsBody, nowMs = Date.now()): AddResult {
    let a = this.#agents.get(body.agent_id);
    if (!a) {
      if (this.#agents.size >= this.#o.maxAgents) return { ok: false, reason: 'too_many_agents' };
      a = { epoch: body.epoch, highId: 0, ring: new Ring(this.#o.perAgent), lastSeenMs: nowMs, anomalies: 0, buckets: new Int32Array(BUCKETS), minutes: new Float64Array(BUCKETS).fill(-1) };
      this.#agents.set(body.agent_id, a);
    }
    a.lastSeenMs = nowMs;
    if (a.epoch !== body.epoch) {
      a.epoch = body.epoch;
      a.highId = 0;
    }
    let stored = 0;
    let anomalies = 0;
    for (const e of body.events) {
      if (e.id <= a.highId) continue;
      a.highId = e.id;
      const ev: FleetEvent = {
        agent: body.agent_id,
        epoch: body.epoch,
        id: e.id,
        timeMs: e.timeMs,
        kind: e.kind,
        family: e.family,
        labels: { ...e.labels },
        detail: { ...e.detail },
        receivedMs: nowMs,
      };
      const before = a.ring.bytes;
      if (a.ring.push(ev, eventBytes(ev))) this.evicted.agent_ring++;
      else this.#total++;
      this.#bytes += a.ring.bytes - before;
      stored++;
      if (e.kind === 'anomaly_start') {
        anomalies++;
        a.anomalies++;
        countMinute(a, e.timeMs, nowMs);
      }
    }
    if (this.#total > this.#o.maxEvents || this.#bytes > this.#o.maxBytes) this.#trim();
    return { ok: true, stored, duplicates: body.events.length - stored, anomalies };
  }

  /** Removes the agents whose last sign of life (`lastSeen(id)`, else their last events) is older than `expiryMs`. */
  expire(nowMs: number, expiryMs: number, lastSeen: (agent: string) => number | undefined = () => undefined): string[] {
    const gone: string[] = [];
    for (const [id, a] of this.#agents) {
      if (nowMs - Math.max(a.lastSeenMs, lastSeen(id) ?? 0) <= expiryMs) continue;
      this.#total -= a.ring.size;
      this.#bytes -= a.ring.bytes;
      this.evicted.expired += a.ring.size;
      this.#agents.delete(id);
      gone.push(id);
    }
    return gone;
  }

  /** The matching events, oldest first (by event time). */
  query(q: EventQuery): FleetEvent[] {
    const kinds = q.kinds && q.kinds.length > 0 ? new Set(q.kinds) : undefined;
    const since = q.sinceMs ?? -Infinity;
    const ids = q.agents && q.agents.length > 0 ? q.agents : [...this.#agents.keys()];
    const out: FleetEvent[] = [];
    for (const id of ids) {
      const a = this.#agents.get(id);
      if (!a) continue;
      for (const e of a.ring) if (e.timeMs >= since && (!kinds || kinds.has(e.kind))) out.push(e);
    }
    // The newest `limit` first by a numeric sort of the times alone, so only they are sorted as objects.
    let keep = out;
    if (out.length > q.limit) {
      if (q.limit === 0) return [];
      const times = new Float64Array(out.length);
      for (let i = 0; i < out.length; i++) times[i] = out[i]!.timeMs;
      times.sort();
      const cut = times[times.length - q.limit]!;
      keep = out.filter((e) => e.timeMs >= cut);
    }
    keep.sort((x, y) => x.timeMs - y.timeMs || (x.agent < y.agent ? -1 : x.agent > y.agent ? 1 : x.id - y.id));
    return keep.length > q.limit ? keep.slice(keep.length - q.limit) : keep;
  }

  /** Anomaly starts received from `agent` in all, and those of the last hour (by event time); undefined: no events. */
  anomalies(agent: string, nowMs = Date.now()): { total: number; lastHour: number } | undefined {
    const a = this.#agents.get(agent);
    if (!a) return undefined;
    const from = Math.floor(nowMs / MINUTE) - BUCKETS + 1;
    let lastHour = 0;
    for (let i = 0; i < BUCKETS; i++) if (a.minutes[i]! >= from) lastHour += a.buckets[i]!;
    return { total: a.anomalies, lastHour };
  }

  /**
   * Past maxEvents or maxBytes: every agent cut to the largest common share of events that fits 90 % of the events
   * bound, and of the events held in the proportion the bytes are over (the noisiest lose most); again while the
   * bytes are still over.
   */
  #trim(): void {
    for (let round = 0; round < 8 && (this.#total > this.#o.maxEvents * 0.9 || this.#bytes > this.#o.maxBytes * 0.9); round++) {
      const byBytes = this.#bytes > this.#o.maxBytes * 0.9 ? Math.floor((this.#total * this.#o.maxBytes * 0.9) / this.#bytes) : Infinity;
      this.#cut(Math.min(Math.floor(this.#o.maxEvents * 0.9), byBytes, this.#total - 1));
    }
  }

  /** Cuts every agent to the largest common share of events that keeps at most `target` in all. */
  #cut(target: number): void {
    const sizes = [...this.#agents.values()].map((a) => a.ring.size).sort((x, y) => x - y);
    // The largest cap c with sum(min(size, c)) ≤ target.
    let rest = target;
    let cap = 0;
    for (let i = 0; i < sizes.length; i++) {
      const share = Math.floor(rest / (sizes.length - i));
      if (sizes[i]! <= share) {
        rest -= sizes[i]!;
        cap = sizes[i]!;
        continue;
      }
      cap = share;
      break;
    }
    for (const a of this.#agents.values()) {
      const over = a.ring.size - cap;
      if (over <= 0) continue;
      const before = a.ring.bytes;
      a.ring.dropOldest(over);
      this.#bytes -= before - a.ring.bytes;
      this.#total -= over;
      this.evicted.store_full += over;
    }
  }
}

/** Counts an anomaly start at `timeMs` in its minute's bucket, if that minute is within the last hour. */
function countMinute(a: AgentEvents, timeMs: number, nowMs: number): void {
  const minute = Math.floor(Math.min(timeMs, nowMs) / MINUTE);
  if (minute <= Math.floor(nowMs / MINUTE) - BUCKETS) return;
  const i = ((minute % BUCKETS) + BUCKETS) % BUCKETS;
  if (a.minutes[i] !== minute) {
    a.minutes[i] = minute;
    a.buckets[i] = 0;
  }
  a.buckets[i]!++;
}
