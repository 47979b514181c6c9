/**
 * A memory limiter in the manner of the OpenTelemetry Collector's `memorylimiter` processor: every
 * `check_interval` it reads the process's RSS; at or above the soft limit (`limit` less `spike`) it sheds — the store
 * refuses new series of every source (the agent's own telemetry aside), StatsD keeps its existing series only, the
 * push listener answers 503 with Retry-After — and below the soft limit it recovers. Writes to series that exist go
 * on while shedding: they cost no new memory.
 *
 * The limit is configured, or derived from the cgroup's memory.max (cgroup v2) or memory.limit_in_bytes (v1) when
 * there is one (`auto_fraction` of it), else the limiter is off. Transitions are logged; the state, the limits and
 * the sheds are in `outrider_memory_limiter_*`.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Store } from '../store/store';
import type { Telemetry, Ticking } from './telemetry';

export interface MemoryLimiterOptions {
  /** Hard limit in bytes; 0: derive it from the cgroup's memory limit (`autoFraction` of it), or none. */
  limitBytes: number;
  /** Soft limit = limit − spike (default a fifth of the limit when 0). */
  spikeBytes: number;
  /** Fraction of the cgroup's memory limit used as the limit when `limitBytes` is 0. */
  autoFraction: number;
  checkIntervalMs: number;
}

/** The memory limit of this process's cgroup in bytes, or undefined (no cgroup limit, or it cannot be read). */
export function cgroupMemoryLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  const tryRead = (p: string): string | undefined => {
    try {
      return read(p).trim();
    } catch {
      return undefined;
    }
  };
  const v2 = tryRead('/sys/fs/cgroup/memory.max');
  if (v2 !== undefined) return /^\d+$/.test(v2) ? Number(v2) : undefined;
  const v1 = tryRead('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  // cgroup v1 writes "no limit" as a huge page-rounded number.
  if (v1 !== undefined && /^\d+$/.test(v1) && Number(v1) < 2 ** 60) return Number(v1);
  return undefined;
}

/** The limits in force: the configured ones, or those derived from the cgroup; undefined when the limiter is off. */
export function effectiveLimits(o: MemoryLimiterOptions, cgroupLimit: number | undefined = cgroupMemoryLimit()): { hardBytes: number; softBytes: number } | undefined {
  const hard = o.limitBytes > 0 ? o.limitBytes : cgroupLimit !== undefined ? Math.floor(cgroupLimit * o.autoFraction) : 0;
  if (hard <= 0) return undefined;
  const spike = o.spikeBytes > 0 ? Math.min(o.spikeBytes, hard - 1) : Math.floor(hard / 5);
  return { hardBytes: hard, softBytes: hard - spike };
}

export class MemoryLimiter {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #limits: { hardBytes: number; softBytes: number } | undefined;
  readonly #checkMs: number;
  readonly #rss: () => number;
  readonly #state;
  readonly #transitions;
  readonly #refused;
  readonly #telemetry: Telemetry;
  #timer: Ticking | undefined;
  #shedding = false;

  constructor(opts: MemoryLimiterOptions, deps: { store: Store; log: Logger; telemetry: Telemetry; rss?: () => number; cgroupLimit?: number }) {
    this.#store = deps.store;
    this.#log = deps.log;
    this.#limits = effectiveLimits(opts, 'cgroupLimit' in deps ? deps.cgroupLimit : cgroupMemoryLimit());
    this.#checkMs = opts.checkIntervalMs;
    this.#rss = deps.rss ?? (() => process.memoryUsage.rss());
    const t = deps.telemetry;
    this.#telemetry = t;
    const limits = t.gauge('outrider_memory_limiter_limit_bytes', 'Memory limiter limits on the resident set size, by kind (soft: shedding starts; hard: the configured or derived limit).', ['kind']);
    limits.reset();
    if (this.#limits) {
      limits.set({ kind: 'soft' }, this.#limits.softBytes);
      limits.set({ kind: 'hard' }, this.#limits.hardBytes);
    }
    this.#state = t.gauge('outrider_memory_limiter_shedding', 'Whether the memory limiter is shedding new series and ingest (1) or not (0).');
    this.#state.set(0);
    this.#transitions = t.counter('outrider_memory_limiter_transitions_total', 'Times the memory limiter started shedding.');
    this.#refused = t.counter(
      'outrider_memory_limiter_refused_series_total',
      'New series the store refused while the memory limiter shed (push requests refused are in outrider_push_refused_requests_total{reason="memory_limit"}).',
    );
    this.#refused.inc(0);
  }

  /** The limits in force, or undefined when the limiter is off. */
  get limits(): { hardBytes: number; softBytes: number } | undefined {
    return this.#limits;
  }

  get shedding(): boolean {
    return this.#shedding;
  }

  start(): void {
    if (!this.#limits || this.#timer) return;
    this.#log.info({ soft_bytes: this.#limits.softBytes, hard_bytes: this.#limits.hardBytes, check_interval_ms: this.#checkMs }, 'Memory limiter is on.');
    this.check();
    // On the telemetry's shared tick: at the default 1 s, the same wake-up as the store's sweep at a 1 s collection.
    this.#timer = this.#telemetry.interval(this.#checkMs, () => this.check());
  }

  stop(): void {
    this.#timer?.stop();
    this.#timer = undefined;
    this.#set(false, this.#rss());
  }

  /** Reads the RSS and sheds or recovers; returns whether it sheds. */
  check(): boolean {
    if (!this.#limits) return false;
    const rss = this.#rss();
    this.#set(rss >= this.#limits.softBytes, rss);
    return this.#shedding;
  }

  /** Counts new series refused because the limiter sheds. */
  refusedSeries(n = 1): void {
    this.#refused.inc(n);
  }

  #set(on: boolean, rss: number): void {
    if (on === this.#shedding) return;
    this.#shedding = on;
    this.#store.shedding = on;
    this.#state.set(on ? 1 : 0);
    if (on) {
      this.#transitions.inc();
      this.#log.warn(
        { rss_bytes: rss, soft_bytes: this.#limits?.softBytes, hard_bytes: this.#limits?.hardBytes },
        'Memory limiter: the resident set passed the soft limit; new series and pushed data are refused until it falls below.',
      );
    } else {
      this.#log.info({ rss_bytes: rss, soft_bytes: this.#limits?.softBytes }, 'Memory limiter: the resident set is below the soft limit again; ingest resumes.');
    }
  }
}
