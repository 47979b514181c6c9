/**
 * Which aggregator an agent reports to. With several endpoints each agent ranks them by rendezvous (highest random
 * weight) hashing of its id: the first is its owner, so a fleet spreads over N aggregators without a coordinator
 * and adding or losing one moves only the agents it owned. The agent stays where it is (sticky, also across
 * restarts: the current endpoint is kept in `<spool.dir>/endpoint`), moves to the next in its ranking when the
 * output runtime's breaker opens or when a request fails and the endpoint's health check fails too (a dead or stalled
 * aggregator is left at its first failure, not its fifth), and, while away from its owner, probes the better-ranked
 * ones (GET /healthz, backoff doubling from `probeMinMs` to `probeMaxMs`) and goes back to the first that answers.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/** Endpoint indices in the agent's order of preference: by SHA-256 of (agent id, endpoint), highest first. */
export function rendezvousOrder(agentId: string, endpoints: readonly string[]): number[] {
  const weight = endpoints.map((e) => createHash('sha256').update(agentId).update('\u0000').update(e).digest().readBigUInt64BE(0));
  return endpoints.map((_, i) => i).sort((a, b) => (weight[a]! > weight[b]! ? -1 : weight[a]! < weight[b]! ? 1 : a - b));
}

export interface RouteOptions {
  agentId: string;
  endpoints: readonly string[];
  /** Directory where the current endpoint is kept (the spool directory); none: not kept across restarts. */
  dir?: string | undefined;
  /** Health check of endpoint `i`. */
  probe: (i: number) => Promise<boolean>;
  probeMinMs?: number;
  probeMaxMs?: number;
  log: Logger;
  /** Called on every move, with the endpoint index moved to, why, and the endpoint index left. */
  onMove?: (to: number, reason: 'failover' | 'return', from: number) => void;
}

export class EndpointRoute {
  readonly order: readonly number[];
  readonly #opts: RouteOptions;
  /** Position of the current endpoint in `order`. */
  #pos = 0;
  #timer: NodeJS.Timeout | undefined;
  #delayMs: number;
  #probing = false;
  #checking = false;
  #stopped = false;
  readonly #listeners: Array<() => void> = [];

  constructor(opts: RouteOptions) {
    this.#opts = opts;
    this.order = rendezvousOrder(opts.agentId, opts.endpoints);
    this.#delayMs = opts.probeMinMs ?? 1000;
    const kept = this.#readKept();
    if (kept !== undefined) this.#pos = kept;
  }

  /** The endpoint index requests go to now. */
  get current(): number {
    return this.order[this.#pos]!;
  }

  /** Whether the agent reports to its owner (the first of its ranking). */
  get atOwner(): boolean {
    return this.#pos === 0;
  }

  /** Starts probing the better-ranked endpoints when away from the owner. */
  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** The current endpoint is failing (the breaker opened): move to the next in the ranking. */
  failover(): void {
    if (this.order.length < 2) return;
    this.#move((this.#pos + 1) % this.order.length, 'failover');
  }

  /**
   * A request to the current endpoint failed (retryable): check its health now (one check at a time) and, if that
   * fails too, move to the next in the ranking without waiting for the breaker. An aggregator that answers its health
   * check (busy, refusing with 429) keeps its agents; the breaker still moves them after repeated failures.
   */
  failed(): void {
    if (this.order.length < 2 || this.#checking || this.#stopped) return;
    const pos = this.#pos;
    this.#checking = true;
    void this.#opts
      .probe(this.current)
      .catch(() => false)
      .then((ok) => {
        this.#checking = false;
        if (!ok && !this.#stopped && this.#pos === pos) this.#move((pos + 1) % this.order.length, 'failover');
      });
  }

  /** Calls `fn` after every move (the runtime forgets the failures it counted against the endpoint left). */
  onMoved(fn: () => void): void {
    this.#listeners.push(fn);
  }

  #move(pos: number, reason: 'failover' | 'return'): void {
    if (pos === this.#pos) return;
    const left = this.current;
    const from = this.#opts.endpoints[left];
    this.#pos = pos;
    this.#keep();
    this.#opts.log.info(
      { from, to: this.#opts.endpoints[this.current], reason, owner: this.#opts.endpoints[this.order[0]!] },
      reason === 'failover' ? "Reporting to the next aggregator in this agent's order." : 'A better-ranked aggregator is healthy again; reporting to it.',
    );
    this.#opts.onMove?.(this.current, reason, left);
    for (const fn of this.#listeners) fn();
    this.#delayMs = this.#opts.probeMinMs ?? 1000;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#pos === 0 || this.#timer || this.#probing) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#probe();
    }, this.#delayMs);
    this.#timer.unref();
  }

  /** Probes the endpoints ranked above the current one, best first; returns to the first healthy one. */
  async #probe(): Promise<void> {
    this.#probing = true;
    try {
      for (let p = 0; p < this.#pos && !this.#stopped; p++) {
        if (await this.#opts.probe(this.order[p]!)) {
          this.#probing = false;
          this.#move(p, 'return');
          return;
        }
      }
    } finally {
      this.#probing = false;
    }
    this.#delayMs = Math.min(this.#delayMs * 2, this.#opts.probeMaxMs ?? 30_000);
    this.#schedule();
  }

  #file(): string | undefined {
    return this.#opts.dir ? path.join(this.#opts.dir, 'endpoint') : undefined;
  }

  #readKept(): number | undefined {
    const f = this.#file();
    if (!f) return undefined;
    try {
      const url = fs.readFileSync(f, 'utf8').trim();
      const pos = this.order.findIndex((i) => this.#opts.endpoints[i] === url);
      return pos >= 0 ? pos : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keeps the current endpoint (atomically); a failure leaves the last one kept, which only costs stickiness. */
  #keep(): void {
    const f = this.#file();
    if (!f) return;
    try {
      fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
      fs.writeFileSync(f + '.tmp', this.#opts.endpoints[this.current] + '\n', { mode: 0o600 });
      fs.renameSync(f + '.tmp', f);
    } catch (err) {
      this.#opts.log.warn({ err: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, 'Cannot keep the current aggregator in the spool directory.');
    }
  }
}
