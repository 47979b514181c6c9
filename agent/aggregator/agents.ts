/**
 * The aggregator's book of agents: what each batch says about its agent (version, spool backlog, drops, when it was
 * sent and received), and the listing /api/v1/agents serves from it.
 */
import type { BatchPayload } from '../wire/payload';
import { AgentState, MAX_VERSION_CHARS } from './state-model';

/** The agent's state updated from a batch it sent in `epoch` (a new state for an agent seen the first time). */
export function noteBatch(prev: AgentState | undefined, payload: BatchPayload, epoch: number, nowMs = Date.now()): AgentState {
  const a: AgentState = prev ?? {
    id: payload.agentId,
    epoch,
    high: 0,
    recent: [],
    lastSeenMs: 0,
    lastSentMs: 0,
    version: '',
    backlogBytes: 0,
    backlogBatches: 0,
    droppedBatches: 0,
    appliedBatches: 0,
  };
  const meta = payload.meta;
  a.lastSeenMs = nowMs;
  a.lastSentMs = payload.sentMs;
  a.version = String(meta.version ?? '').slice(0, MAX_VERSION_CHARS);
  a.backlogBytes = Number(meta.backlog_bytes ?? 0);
  a.backlogBatches = Number(meta.backlog_batches ?? 0);
  a.droppedBatches = Number(meta.dropped_batches ?? 0);
  return a;
}

/** The /api/v1/agents listing. */
export function describeAgents(agents: Iterable<AgentState>, nowMs = Date.now()): Array<Record<string, unknown>> {
  return [...agents].map((a) => ({
    agent_id: a.id,
    version: a.version,
    epoch: a.epoch,
    last_seen: new Date(a.lastSeenMs).toISOString(),
    lag_seconds: Math.max(0, (a.lastSeenMs - a.lastSentMs) / 1000),
    seconds_since_seen: (nowMs - a.lastSeenMs) / 1000,
    spool_backlog_bytes: a.backlogBytes,
    spool_backlog_batches: a.backlogBatches,
    dropped_batches: a.droppedBatches,
    applied_batches: a.appliedBatches,
  }));
}
