/**
 * What a send produced, as a union the shared machinery acts on: success, retryable (after a delay: backoff or the
 * server's Retry-After), definitions missing (the aggregator lost its interning table: resend them, then retry), or a
 * permanent failure (any other 4xx: counted, quarantined, never retried).
 */
export type SendResult =
  | { kind: 'success'; duplicate: boolean }
  | { kind: 'retryable'; reason: string; retryAfterMs?: number }
  | { kind: 'definitions'; missing: number[] }
  | { kind: 'failure'; reason: string; status?: number };

/** Maps an HTTP status (and headers) to a result. */
export function classifyStatus(status: number, retryAfter: string | undefined, body: string, nowMs = Date.now()): SendResult {
  if (status >= 200 && status < 300) {
    // Only the aggregator answers with a JSON object; a remote write engine's empty or plain-text 2xx is not parsed
    // (a parse that throws per request was ~2 % of the main thread at 50 requests a tick).
    let duplicate = false;
    if (/^\s*\{/.test(body)) {
      try {
        duplicate = (JSON.parse(body) as { status?: string }).status === 'duplicate';
      } catch {
        /* a bare 2xx is a success */
      }
    }
    return { kind: 'success', duplicate };
  }
  if (status === 409) {
    try {
      const j = JSON.parse(body) as { code?: string; missing?: unknown };
      if (j.code === 'OUTRIDER_ERR_AGG_UNKNOWN_SERIES' && Array.isArray(j.missing)) return { kind: 'definitions', missing: j.missing.filter((x): x is number => typeof x === 'number') };
    } catch {
      /* fall through: a 409 without our code is permanent */
    }
  }
  if (status === 429 || status === 502 || status === 503 || status === 504 || status === 408 || status >= 500) {
    const ra = parseRetryAfter(retryAfter, nowMs);
    return { kind: 'retryable', reason: `HTTP ${status}`, ...(ra !== undefined ? { retryAfterMs: ra } : {}) };
  }
  return { kind: 'failure', reason: `HTTP ${status}: ${body.slice(0, 200)}`, status };
}

/** Retry-After as delay-seconds or an HTTP date; capped at 5 minutes. */
export function parseRetryAfter(v: string | undefined, nowMs = Date.now()): number | undefined {
  if (!v) return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Math.min(Number(t) * 1000, 300_000);
  const d = Date.parse(t);
  if (Number.isNaN(d)) return undefined;
  return Math.min(Math.max(0, d - nowMs), 300_000);
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Circuit breaker: after `threshold` consecutive failures it opens for a cool-down (doubling up to `maxOpenMs`);
 * then one probe is let through (half-open); a success closes it.
 */
export class Breaker {
  #failures = 0;
  #openUntil = 0;
  #openMs: number;
  #probing = false;
  readonly #threshold: number;
  readonly #baseOpenMs: number;
  readonly #maxOpenMs: number;

  constructor(threshold = 5, baseOpenMs = 1000, maxOpenMs = 30_000) {
    this.#threshold = threshold;
    this.#baseOpenMs = baseOpenMs;
    this.#openMs = baseOpenMs;
    this.#maxOpenMs = maxOpenMs;
  }

  get state(): 'closed' | 'open' | 'half_open' {
    if (this.#failures < this.#threshold) return 'closed';
    return Date.now() < this.#openUntil ? 'open' : 'half_open';
  }

  /** Milliseconds until a request may go, 0 when now. */
  waitMs(now = Date.now()): number {
    if (this.#failures < this.#threshold) return 0;
    if (now < this.#openUntil) return this.#openUntil - now;
    return this.#probing ? this.#openMs : 0;
  }

  /** Call when a request is sent; in half-open state only one probe is allowed. */
  take(): void {
    if (this.#failures >= this.#threshold) this.#probing = true;
  }

  success(): void {
    this.#failures = 0;
    this.#probing = false;
    this.#openMs = this.#baseOpenMs;
  }

  failure(now = Date.now()): void {
    this.#failures++;
    this.#probing = false;
    if (this.#failures >= this.#threshold) {
      this.#openUntil = now + this.#openMs;
      this.#openMs = Math.min(this.#maxOpenMs, this.#openMs * 2);
    }
  }
}

/** Failures that mean nothing answered (the receiver is down or unreachable), as opposed to a slow or refusing one. */
const kUnreachable = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether a retryable reason says the receiver could not be reached at all. */
export function unreachable(reason: string): boolean {
  return kUnreachable.has(reason);
}

/**
 * AIMD on the number of requests in flight and the batch size: additive increase while requests succeed within the
 * latency target, multiplicative decrease on errors or slow answers. Failures where nothing answered (connection
 * refused, reset, no route) say nothing about the receiver's capacity: the first prompt answer after them restores the
 * window and batch size they started from, so a backlog built during an outage is not drained in batches of the
 * minimum size. Slow answers and refusals (429, 5xx, timeouts) are congestion and shrink as before.
 */
export class Aimd {
  #window = 1;
  #batch: number;
  /** Window and batch before the current run of unreachable failures (undefined: none, or congestion since). */
  #before: { window: number; batch: number } | undefined;
  readonly #maxWindow: number;
  readonly #maxBatch: number;
  readonly #minBatch: number;
  readonly #targetMs: number;

  constructor(opts: { maxWindow: number; maxBatch: number; minBatch?: number; targetLatencyMs: number }) {
    this.#maxWindow = opts.maxWindow;
    this.#maxBatch = opts.maxBatch;
    this.#minBatch = Math.min(opts.minBatch ?? 100, opts.maxBatch);
    this.#batch = opts.maxBatch;
    this.#targetMs = opts.targetLatencyMs;
  }

  get window(): number {
    return Math.max(1, Math.floor(this.#window));
  }

  get batchSize(): number {
    return Math.max(this.#minBatch, Math.floor(this.#batch));
  }

  success(latencyMs: number): void {
    if (latencyMs > 2 * this.#targetMs) return this.#congested();
    const before = this.#before;
    this.#before = undefined;
    if (before && latencyMs <= this.#targetMs) {
      this.#window = Math.max(this.#window, before.window);
      this.#batch = Math.max(this.#batch, before.batch);
      return;
    }
    this.#window = Math.min(this.#maxWindow, this.#window + 1 / this.#window);
    if (latencyMs <= this.#targetMs) this.#batch = Math.min(this.#maxBatch, this.#batch * 1.1 + 1);
  }

  /** A failed request; `unreachableReceiver`: nothing answered (see unreachable()). */
  failure(unreachableReceiver = false): void {
    if (!unreachableReceiver) return this.#congested();
    this.#before ??= { window: this.#window, batch: this.#batch };
    this.#decrease();
  }

  #congested(): void {
    this.#before = undefined;
    this.#decrease();
  }

  #decrease(): void {
    this.#window = Math.max(1, this.#window / 2);
    this.#batch = Math.max(this.#minBatch, this.#batch / 2);
  }
}
