/**
 * Early detection of a stalled aggregator: a stopped or hung process, or packets dropped on the way. Nothing refuses
 * the request (the kernel still accepts the connection), so without this a stalled aggregator holds every request
 * for the whole `report.timeout` before the agent's failure handling (health check, move) starts.
 *
 * While a request to an endpoint has been waiting for `afterMs`, the watch checks the endpoint's health (its
 * `probe`: GET /healthz on a connection of its own, 2 s). A healthy answer leaves the requests alone: the aggregator
 * is slow, not stalled, and they keep the full timeout. No healthy answer abandons every request that was already
 * waiting when the check began, as their timeout would have a few seconds later; the failure handling then checks
 * the health once more before the agent moves, so a move needs two failed checks in a row. Abandoning changes only
 * the time: the batches stay queued and go again, and one the stalled aggregator applies anyway once it resumes is
 * the handover window, as with a timeout (docs/aggregator.md, Handover). When the agent then leaves the endpoint as
 * failing, whatever still waits there (sent while the checks ran) is abandoned too (`abandonAll`), so it does not
 * hold the window of requests in flight at the next aggregator until its own timeout. At most one check runs at a
 * time, and the next one starts no sooner than `afterMs` after the last one ended.
 */

/** The reason a request abandoned by the watch gives. */
export const STALLED = 'aggregator stalled';

export class StallWatch {
  readonly #afterMs: number;
  readonly #probe: () => Promise<boolean>;
  /** Requests waiting, with the time each began (insertion order: the oldest first). */
  readonly #waiting = new Map<AbortController, number>();
  #timer: NodeJS.Timeout | undefined;
  #checking = false;
  #notBefore = 0;
  #closed = false;
  /** Health checks made while a request waited, and requests abandoned because one failed. */
  checks = 0;
  abandoned = 0;

  constructor(afterMs: number, probe: () => Promise<boolean>) {
    this.#afterMs = afterMs;
    this.#probe = probe;
  }

  /** A request begins: its abort signal, and `done` to call once it is over (whatever the outcome). */
  begin(): { signal: AbortSignal; done: () => void } {
    const c = new AbortController();
    this.#waiting.set(c, Date.now());
    this.#arm();
    return {
      signal: c.signal,
      done: () => {
        this.#waiting.delete(c);
        if (this.#waiting.size === 0) this.#disarm();
      },
    };
  }

  /** Abandons every request waiting (the agent left the endpoint as failing). */
  abandonAll(): void {
    this.#abandon(Infinity);
  }

  close(): void {
    this.#closed = true;
    this.#disarm();
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#closed || this.#timer || this.#checking) return;
    const oldest = this.#waiting.values().next();
    if (oldest.done) return;
    const wait = Math.max(0, oldest.value + this.#afterMs - Date.now(), this.#notBefore - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#check();
    }, wait);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    const began = Date.now();
    const oldest = this.#waiting.values().next();
    if (oldest.done || this.#closed) return;
    if (oldest.value + this.#afterMs > began) return this.#arm();
    this.#checking = true;
    let ok: boolean;
    try {
      ok = await this.#probe();
    } catch {
      ok = false;
    }
    this.#checking = false;
    this.checks++;
    this.#notBefore = Date.now() + this.#afterMs;
    if (!ok && !this.#closed) this.#abandon(began);
    this.#arm();
  }

  /** Abandons the requests waiting since `since` or before. */
  #abandon(since: number): void {
    for (const [c, began] of this.#waiting) {
      if (began > since) continue;
      this.#waiting.delete(c);
      this.abandoned++;
      c.abort(new Error(STALLED));
    }
    if (this.#waiting.size === 0) this.#disarm();
  }
}
