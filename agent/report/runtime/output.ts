/**
 * The contract between an output and the output runtime. An output says *what*: it encodes what it delivers into
 * framed records and knows how to send one to endpoint `i`, answering with a DeliveryResult. The runtime
 * (output-runtime.ts) says *how*: the memory-bounded queue with the spool as its durable tier, the AIMD window,
 * retries with backoff and jitter or Retry-After, the circuit breaker, endpoint failover and the durability mark.
 */
import type { RecordRef } from '../spool/spool';

/** What one delivery attempt produced. */
export type DeliveryResult = { kind: 'success'; duplicate?: boolean } | { kind: 'retryable'; reason: string; retryAfterMs?: number } | { kind: 'failure'; reason: string; status?: number };

/** The answer to several spooled records sent in one request: each settled (acked / duplicate) or not looked at. */
export type RunResult = { kind: 'settled'; settled: Array<'acked' | 'duplicate' | undefined> } | DeliveryResult;

/** One record waiting for delivery: in memory (`data`), in the spool (`ref`), or both. */
export interface QueuedItem {
  readonly epoch: number;
  readonly seq: number;
  readonly ref: RecordRef | undefined;
  data: Buffer | undefined;
  state: 'queued' | 'inflight' | 'done';
  /** Send this one alone (a request of several records did not settle it). */
  single: boolean;
  /** Store generation already durable once every item before this one is settled. */
  readonly prevGen: number;
  /** Append number (0: found in the spool at open); the queue compares it with what a flush put on disk. */
  readonly n: number;
  /** When the record was formed (ms); unknown for records found in the spool at open. */
  readonly formedMs?: number;
}

export interface Output {
  /** Number of endpoints; the runtime moves to the next one while the breaker is open. */
  readonly endpoints: number;
  /**
   * Sends one record to endpoint `endpoint`. `body()` reads the record (memory, else the spool) and may throw when a
   * spooled record cannot be read back: the runtime then drops it and counts it. Must not throw otherwise.
   */
  send(item: QueuedItem, endpoint: number, body: () => Buffer): Promise<DeliveryResult>;
  /** Whether a run of consecutive spooled records may go to `endpoint` in one request now. */
  canSendRun?(endpoint: number): boolean;
  sendRun?(items: readonly QueuedItem[], endpoint: number): Promise<RunResult>;
  close(): Promise<void>;
}

/** What the runtime tells its output's owner, which counts and logs it under its own metric names. */
export interface RuntimeHooks {
  /** An attempt ended after `ms` (any result). */
  attempt(ms: number): void;
  settled(item: QueuedItem, how: 'acked' | 'duplicate'): void;
  /** Refused for good: the record is quarantined in the spool directory (when spooled) and finished. */
  refused(item: QueuedItem, reason: string): void;
  retry(reason: string): void;
  /** Items lost before delivery, by reason (memory_full, spool_full, spool_dropped_oldest, too_large, unreadable, encode). */
  dropped(reason: string, n: number, detail: string): void;
  spoolError(): void;
  spoolCorrupt(kind: 'torn' | 'corrupt', n: number): void;
  /** Queue, window or breaker state moved (gauges, health). */
  changed(): void;
}
