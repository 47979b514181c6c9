/**
 * Runs collectors of any kind (host today; scrape, textfile, OTLP-fed ones tomorrow) on their intervals, each under
 * its own time budget, and writes their snapshots into the store. A collector registers with a name, an interval
 * (`intervalMs`, else `collectors.interval`) and a time budget (`timeoutMs`, else `collectors.timeout`).
 *
 * Collectors with the same interval start together, on one timer, every interval (fixed rate); their budgets share
 * one timer per distinct budget. A run that passes its budget is abandoned (its signal aborted, its late result
 * discarded) and reported with node_scrape_collector_success 0; a collector whose previous run (finished late or
 * abandoned) has not settled skips its turn, counted, so a hung source never piles up work. Missing sources are
 * logged once at debug, and a collector that found no data is run again only after `noDataRecheckMs` (10 s), not
 * every round. What a collector skipped in its input (`ctx.issues`) is logged here at warn: the first issue of a run
 * with the count of others, at most once a minute per collector, so a file garbled the same way every second does not
 * flood the log.
 * node_scrape_collector_success and node_scrape_collector_duration_seconds cover every collector but the agent's
 * own telemetry (`internal`).
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import type { Health } from '../core/component';
import { RateLimiter } from '../core/log';
import type { TickLateness } from '../core/loop-lag';
import type { Paths } from '../core/paths';
import { CounterCell } from '../core/prom-client';
import type { Telemetry } from '../core/telemetry';
import type { Series, Store } from '../store/store';
import type { FamilySamples } from '../store/types';
import { CollectContext, Collector, Issues, NoDataError } from './collector';
import { CollectorsOptions, optionsFrom } from './options';

const successDesc = {
  name: 'node_scrape_collector_success',
  help: 'node_exporter: Whether a collector succeeded.',
  type: 'gauge',
} as const;
const durationDesc = {
  name: 'node_scrape_collector_duration_seconds',
  help: 'node_exporter: Duration of a collector scrape.',
  type: 'gauge',
} as const;

export interface CollectorStats {
  runs: number;
  failures: number;
  timeouts: number;
  skipped: number;
  lastDurationMs: number;
  lastError: string | undefined;
}

interface Slot {
  collector: Collector;
  intervalMs: number;
  budgetMs: number;
  issueLimiter: RateLimiter;
  running: Promise<void> | undefined;
  /** The run `running` settles: the one the collector's promise answers. */
  current: RunContext | undefined;
  /** The collector's promise's handlers, made once per slot (no closures per run). */
  onValue: (fams: FamilySamples[]) => void;
  onError: (err: unknown) => void;
  stats: CollectorStats;
  loggedNoData: boolean;
  /** After a run that found no data: the round-clock time (ms) before which the slot is not run again. */
  recheckAtMs: number;
  /** The slot's node_scrape_collector_success and _duration_seconds series, written through their handles. */
  successSeries: Series | undefined;
  durationSeries: Series | undefined;
  /** outrider_collector_runs_total{collector,result="success"}, incremented in place each run. */
  successRuns: CounterCell | undefined;
  /** The last run's duration (s), and when the duration series was last written (see `durationRefreshMs`). */
  duration: number;
  durationAtMs: number;
  /** The label sets of the slot's outrider_collector_* counters, made once. */
  labels: { collector: string };
  noDataLabels: { collector: string; result: string };
  errorLabels: { collector: string; result: string };
}

/** Collectors sharing an interval: started together by one timer. */
interface Group {
  intervalMs: number;
  slots: Slot[];
  timer: NodeJS.Timeout | undefined;
  /** The group's timer callback, made once. */
  tick: () => void;
  /** How late the group's timer ran, for the event loop lag series. */
  lateness: TickLateness | undefined;
}

/** One run's hook into its round's deadline. */
interface Run {
  expire(): void;
}

/** A round's runs still to settle, and what to call when none is left (only for a round someone waits on). */
interface Waiter {
  pending: number;
  done: () => void;
}

/**
 * One collector run: its context (the signal made only when the collector asks for it: most finish without looking),
 * its hook into the round's deadline and its outcome. The collector's promise settles it through its slot's handlers,
 * or the budget's timer first (`expire`); whichever comes first finishes it, once: no promise race per run.
 */
class RunContext implements CollectContext, Run {
  readonly issues: Issues = [];
  timedOut = false;
  /** Finished: with the collector's result or error, or at its budget. */
  settled = false;
  #ac: AbortController | undefined;

  constructor(
    readonly paths: Paths,
    readonly config: Config,
    readonly log: Logger,
    readonly nowMs: number,
    readonly slot: Slot,
    readonly budgetMs: number,
    readonly deadlines: Deadlines,
    readonly startMs: number,
    readonly waiter: Waiter | undefined,
    readonly finish: (run: RunContext, ok: boolean, fams: FamilySamples[] | undefined, err: unknown) => void,
  ) {}

  get name(): string {
    return this.slot.collector.name;
  }

  get signal(): AbortSignal {
    if (!this.#ac) {
      this.#ac = new AbortController();
      if (this.timedOut) this.#ac.abort(this.#reason());
    }
    return this.#ac.signal;
  }

  expire(): void {
    this.timedOut = true;
    const err = this.#reason();
    this.#ac?.abort(err);
    if (!this.settled) this.finish(this, false, undefined, err);
  }

  #reason(): Error {
    return new Error(`collector ${this.name} passed its ${this.budgetMs} ms budget`);
  }
}

/**
 * The time budgets of one round: one timer per distinct budget, shared by the runs under it, instead of a timer per
 * run. A run leaves when it settles; the timer is cleared when the last one has left.
 */
class Deadlines {
  readonly #buckets = new Map<number, { timer: NodeJS.Timeout; runs: Set<Run> }>();

  add(budgetMs: number, run: Run): void {
    let b = this.#buckets.get(budgetMs);
    if (!b) {
      const runs = new Set<Run>();
      const timer = setTimeout(() => {
        this.#buckets.delete(budgetMs);
        for (const r of runs) r.expire();
      }, budgetMs);
      timer.unref();
      b = { timer, runs };
      this.#buckets.set(budgetMs, b);
    }
    b.runs.add(run);
  }

  remove(budgetMs: number, run: Run): void {
    const b = this.#buckets.get(budgetMs);
    if (!b) return;
    b.runs.delete(run);
    if (b.runs.size === 0) {
      clearTimeout(b.timer);
      this.#buckets.delete(budgetMs);
    }
  }
}

export interface RunnerOptions {
  store: Store;
  config: Config;
  paths: Paths;
  log: Logger;
  health?: Health;
  collectors: Collector[];
  /** The interval and time budget of collectors without their own; parsed from `config` when not given. */
  defaults?: Pick<CollectorsOptions, 'intervalMs' | 'timeoutMs'>;
  /** Where outrider_collector_* counters go. */
  telemetry?: Telemetry;
  /**
   * How often a collector's node_scrape_collector_duration_seconds is written (ms; 0, the default: every run). Between,
   * the series keeps its last written value, and the last run's duration is written before the store is read for a
   * scrape (`telemetry.onRead`), so a scrape sees each collector's last run; the rounds between write nothing.
   */
  durationRefreshMs?: number;
  /**
   * How long a collector that found no data on this host (no such file: no bonding, no NFS, no hwmon) waits before it
   * looks again (ms; default 10 000). Its rounds between are not run, so its node_scrape_collector_* series keep
   * their last values; a source that appears (a module loaded, a device plugged in) is seen within this time. Only
   * where it is longer than the collector's interval; 0 looks every round.
   */
  noDataRecheckMs?: number;
  now?: () => number;
}

/** `RunnerOptions.noDataRecheckMs`'s default. */
export const defaultNoDataRecheckMs = 10_000;

export class CollectorRunner {
  readonly name = 'collectors';
  readonly #opts: RunnerOptions;
  readonly #slots: Slot[];
  readonly #groups: Group[] = [];
  #started = false;
  #stopped = false;
  #firstRound: Promise<void> | undefined;
  readonly #errors: import('prom-client').Counter | undefined;
  readonly #timeouts: import('prom-client').Counter | undefined;
  readonly #skipped: import('prom-client').Counter | undefined;
  readonly #runs: import('prom-client').Counter | undefined;
  readonly #offRead: (() => void) | undefined;

  constructor(opts: RunnerOptions) {
    this.#opts = opts;
    this.#errors = opts.telemetry?.counter('outrider_collector_errors_total', 'Collector runs that failed (timeouts included), by collector.', ['collector']);
    this.#timeouts = opts.telemetry?.counter('outrider_collector_timeouts_total', 'Collector runs abandoned at their time budget, by collector.', ['collector']);
    this.#runs = opts.telemetry?.counter('outrider_collector_runs_total', 'Collector runs finished, by collector and result (success, no_data, error).', ['collector', 'result']);
    this.#skipped = opts.telemetry?.counter('outrider_collector_skipped_runs_total', 'Scheduled runs skipped because the previous run of the collector had not settled, by collector.', ['collector']);
    const { intervalMs: defInterval, timeoutMs: defBudget } = opts.defaults ?? optionsFrom(opts.config);
    this.#slots = opts.collectors.map((c) => {
      const slot: Slot = {
        collector: c,
        intervalMs: c.intervalMs ?? defInterval,
        budgetMs: c.timeoutMs ?? defBudget,
        issueLimiter: new RateLimiter(60_000, 1),
        running: undefined,
        current: undefined,
        onValue: (fams) => this.#settle(slot, true, fams, undefined),
        onError: (err) => this.#settle(slot, false, undefined, err),
        stats: { runs: 0, failures: 0, timeouts: 0, skipped: 0, lastDurationMs: 0, lastError: undefined },
        loggedNoData: false,
        recheckAtMs: -Infinity,
        successSeries: undefined,
        durationSeries: undefined,
        duration: NaN,
        durationAtMs: -Infinity,
        successRuns: this.#runs && new CounterCell(this.#runs, { collector: c.name, result: 'success' }),
        labels: { collector: c.name },
        noDataLabels: { collector: c.name, result: 'no_data' },
        errorLabels: { collector: c.name, result: 'error' },
      };
      return slot;
    });
    if ((opts.durationRefreshMs ?? 0) > 0) this.#offRead = opts.telemetry?.onRead(() => this.#writeDurations());
    // One timer per interval, not per collector: at the default 1 s the host's ~50 collectors wake the process once.
    for (const slot of this.#slots) {
      const g = this.#groups.find((x) => x.intervalMs === slot.intervalMs);
      if (g) g.slots.push(slot);
      else {
        const group: Group = { intervalMs: slot.intervalMs, slots: [slot], timer: undefined, tick: () => this.#tick(group, undefined), lateness: opts.telemetry?.tickLateness(slot.intervalMs) };
        this.#groups.push(group);
      }
    }
  }

  get collectors(): readonly Collector[] {
    return this.#slots.map((s) => s.collector);
  }

  stats(): Record<string, CollectorStats> {
    return Object.fromEntries(this.#slots.map((s) => [s.collector.name, { ...s.stats }]));
  }

  /** Starts every collector; resolves when each has finished (or timed out) its first run. */
  async start(): Promise<void> {
    if (this.#started) return this.#firstRound;
    this.#started = true;
    this.#opts.health?.report(this.name, 'starting', { ready: false, detail: 'first collection running' });
    this.#firstRound = Promise.all(this.#groups.map((g) => this.#round((w) => this.#tick(g, w)))).then(() => {
      if (!this.#stopped) this.#opts.health?.report(this.name, 'running', { ready: true, detail: `${this.#slots.length} collectors` });
    });
    return this.#firstRound;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#offRead?.();
    for (const g of this.#groups) if (g.timer) clearTimeout(g.timer);
    // Wait for runs in flight, but never longer than one budget: a hung source must not block shutdown.
    const budget = Math.max(0, ...this.#slots.map((s) => s.budgetMs));
    await Promise.race([Promise.allSettled(this.#slots.map((s) => s.running ?? Promise.resolve())), new Promise((resolve) => setTimeout(resolve, budget).unref())]);
    for (const s of this.#slots) await s.collector.close?.();
    this.#opts.health?.report(this.name, 'stopped', { ready: false });
  }

  /** Runs every collector once now (tests, `--once`). */
  async collectOnce(): Promise<void> {
    await this.#round((w) => {
      const deadlines = new Deadlines();
      for (const s of this.#slots) this.#execute(s, deadlines, w);
    });
  }

  /** Runs `start` with a waiter for its runs: resolves when every run it started has settled or been abandoned. */
  #round(start: (w: Waiter) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      // One pending count for the start itself, so runs that finish at once do not resolve it early.
      const w: Waiter = { pending: 1, done: resolve };
      try {
        start(w);
      } finally {
        if (--w.pending === 0) resolve();
      }
    });
  }

  /**
   * Starts the group's collectors, but those whose previous run has not settled (skipped and counted), and schedules
   * the next round one interval after this one started. `waiter` (the first round) learns when this round's runs
   * have settled or been abandoned at their budget; later rounds make no promise for it.
   */
  #tick(group: Group, waiter: Waiter | undefined): void {
    if (this.#stopped) return;
    const nowMs = performance.now();
    group.lateness?.tick(nowMs);
    group.timer = setTimeout(group.tick, group.intervalMs);
    group.timer.unref();
    const deadlines = new Deadlines();
    for (const slot of group.slots) {
      if (slot.recheckAtMs > nowMs) continue;
      if (slot.running) {
        slot.stats.skipped++;
        this.#skipped?.inc(slot.labels);
      } else {
        this.#execute(slot, deadlines, waiter);
      }
    }
  }

  /**
   * Starts one run. It is finished (`#finish`) by the collector's promise through the slot's handlers, or at its
   * budget by the round's deadline, whichever comes first.
   */
  #execute(slot: Slot, deadlines: Deadlines, waiter: Waiter | undefined): void {
    const { config, paths, log } = this.#opts;
    const now = this.#opts.now ?? Date.now;
    const c = slot.collector;
    const budget = slot.budgetMs;
    const run = new RunContext(paths, config, log, now(), slot, budget, deadlines, performance.now(), waiter, this.#finishRun);
    if (waiter) waiter.pending++;
    deadlines.add(budget, run);
    slot.stats.runs++;
    // The collector's own promise is what guards against overlap: an abandoned run keeps its slot until it settles.
    let inner: Promise<FamilySamples[]>;
    try {
      inner = Promise.resolve(c.collect(run));
    } catch (err) {
      inner = Promise.reject(err as Error);
    }
    if (slot.running === undefined) {
      slot.current = run;
      slot.running = inner.then(slot.onValue, slot.onError);
    } else {
      // A run while the last one is still out (only `collectOnce` starts one): its own handlers.
      const settle = (ok: boolean, fams: FamilySamples[] | undefined, err: unknown): void => {
        slot.running = undefined;
        if (!run.settled) this.#finish(run, ok, fams, err);
      };
      slot.running = inner.then(
        (fams) => settle(true, fams, undefined),
        (err: unknown) => settle(false, undefined, err),
      );
    }
  }

  /** The collector's promise of the slot's current run settled. */
  #settle(slot: Slot, ok: boolean, fams: FamilySamples[] | undefined, err: unknown): void {
    slot.running = undefined;
    const run = slot.current;
    slot.current = undefined;
    if (run !== undefined && !run.settled) this.#finish(run, ok, fams, err);
  }

  readonly #finishRun = (run: RunContext, ok: boolean, fams: FamilySamples[] | undefined, err: unknown): void => this.#finish(run, ok, fams, err);

  /** A run's end: its result written (or its error counted), its issues logged, its success and duration series. */
  #finish(run: RunContext, ok: boolean, fams: FamilySamples[] | undefined, err: unknown): void {
    run.settled = true;
    try {
      this.#record(run, ok, fams, err);
    } finally {
      if (run.waiter && --run.waiter.pending === 0) run.waiter.done();
    }
  }

  #record(run: RunContext, ok: boolean, fams: FamilySamples[] | undefined, error: unknown): void {
    const { store, log } = this.#opts;
    const slot = run.slot;
    const c = slot.collector;
    let success = 0;
    slot.recheckAtMs = -Infinity;
    try {
      if (!ok) throw error;
      if (!this.#stopped && c.writesOwnSeries !== true) store.replaceOwned(c.name, fams!);
      success = 1;
      slot.stats.lastError = undefined;
      slot.successRuns?.inc();
    } catch (err) {
      if (err instanceof NoDataError) {
        const recheckMs = this.#opts.noDataRecheckMs ?? defaultNoDataRecheckMs;
        // Measured from the run's start, less half an interval: the round due at the recheck time runs (timers fire late).
        if (recheckMs > slot.intervalMs) slot.recheckAtMs = run.startMs + recheckMs - slot.intervalMs / 2;
        if (!slot.loggedNoData) {
          log.debug({ collector: c.name, reason: err.message }, 'Collector found no data on this host; it exposes nothing.');
          slot.loggedNoData = true;
        }
        store.dropOwner(c.name);
        this.#runs?.inc(slot.noDataLabels);
      } else {
        this.#runs?.inc(slot.errorLabels);
        slot.stats.failures++;
        this.#errors?.inc(slot.labels);
        if (run.timedOut) {
          slot.stats.timeouts++;
          this.#timeouts?.inc(slot.labels);
        }
        const msg = err instanceof Error ? err.message : String(err);
        if (slot.stats.lastError !== msg) log.warn({ collector: c.name, err: msg }, 'Collector run failed.');
        slot.stats.lastError = msg;
      }
    } finally {
      run.deadlines.remove(run.budgetMs, run);
    }
    // An abandoned run may still be adding to `issues`; what it noted by now is what it met.
    const issues = run.issues;
    if (issues.length > 0 && slot.issueLimiter.allow(c.name)) {
      log.warn({ collector: c.name, issue: issues[0], more_issues: issues.length - 1 }, 'Host collector skipped part of a file it could not parse.');
    }
    const seconds = (performance.now() - run.startMs) / 1000;
    slot.stats.lastDurationMs = seconds * 1000;
    if (this.#stopped || c.internal) return;
    const duration = Math.round(seconds * 1e9) / 1e9;
    // Through the handles kept from the last round (no family or label-key lookup); by labels when the series went.
    if (slot.successSeries === undefined || !store.writeHandle(slot.successSeries, success)) slot.successSeries = store.set(successDesc, slot.labels, success);
    slot.duration = duration;
    const refreshMs = this.#opts.durationRefreshMs ?? 0;
    if (refreshMs > 0 && slot.durationSeries !== undefined && run.nowMs - slot.durationAtMs < refreshMs && store.keepAlive(slot.durationSeries)) return;
    slot.durationAtMs = run.nowMs;
    this.#writeDuration(slot);
  }

  #writeDuration(slot: Slot): void {
    const store = this.#opts.store;
    if (slot.durationSeries === undefined || !store.writeHandle(slot.durationSeries, slot.duration)) slot.durationSeries = store.set(durationDesc, slot.labels, slot.duration);
  }

  /** Before a scrape: each collector's last run's duration, where the rounds since have not written it. */
  #writeDurations(): void {
    if (this.#stopped) return;
    for (const slot of this.#slots) if (slot.durationSeries !== undefined && !Number.isNaN(slot.duration)) this.#writeDuration(slot);
  }
}
