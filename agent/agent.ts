/**
 * The composition root: the one place that knows every part of the agent. It runs the components of the registry
 * (./components.ts: what each is, how it is built from the config, what its contract counts are read from, their
 * start and stop order) in the Agent: one store, the local endpoint that reads it, and the components that write
 * into it or ship it. start → ready; stop flushes and is safe at any time; reload swaps in a new config, keeping
 * the store (and the listener when its address did not change).
 *
 * Arrows point down from here: components never import each other or this file (docs/ARCHITECTURE.md, "Rules").
 */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { analysisOptionsFrom, EventLog, eventsResponse } from './analysis/index';
import { Recommender } from './analysis/recommend/monitor';
import { collectorNames, selectedCollectorNames } from './collectors/kinds';
import { optionsFrom as collectorsOptionsFrom } from './collectors/options';
import { CollectorRunner } from './collectors/runner';
import type { Scraper } from './collectors/scrape/scraper';
import { statsdReloadProblem } from './collectors/statsd/reload-check';
import { mountRulesApiOnFirstRequest } from './rules/mount';
import type { RulesManager } from './rules/manager';
import type { Config } from './config/config';
import type { Component } from './core/component';
import { Health } from './core/component';
import type { AgentContext } from './core/context';
import { ContractSources, registerContract } from './core/contract';
import { listenerLimits } from './core/connection-limits';
import { HttpServer, sendJson } from './core/http-server';
import type { MountedProfiling } from './core/profiling/routes';
import { optionsFrom as profilingOptionsFrom } from './core/profiling/options';
import { RateLimiter } from './core/log';
import { OutriderError } from './core/errors';
import { MemoryLimiter } from './core/memory-limiter';
import { optionsFrom as coreOptionsFrom } from './core/options';
import { Telemetry, type Ticking } from './core/telemetry';
import { version } from './core/version';
import { mountEndpoint } from './exposition/endpoint';
import { historyFor, LocalHistory } from './history/index';
import { mountQueryApi } from './query/mount';
import { optionsFrom as queryOptionsFrom } from './query/options';
import { mountLive, type MountedLive } from './live/mount';
import { optionsFrom as liveOptionsFrom } from './live/options';
import { Store } from './store/store';
import { ComponentEntry, ComponentName, registry, startOrder, stopOrder, storeSourceOf } from './components';

export interface AgentOptions {
  config: Config;
  log: Logger;
  /** Native addon status, shown in /healthz and outrider_native_available. */
  native?: { available: boolean; reason: string };
}

export class Agent {
  readonly store: Store;
  readonly health = new Health();
  readonly telemetry: Telemetry;
  readonly log: Logger;
  #config: Config;
  #server: HttpServer | undefined;
  #live: MountedLive | undefined;
  #nextLive: MountedLive | undefined;
  #profiling: MountedProfiling[] = [];
  #runner: CollectorRunner | undefined;
  #built = new Map<ComponentName, Component[]>();
  #contracts = new Map<string, ContractSources>();
  #sweeper: { tick: Ticking; periodMs: number } | undefined;
  #history: LocalHistory | undefined;
  /** Events of the analysis (and of any component given ctx.events), kept across reloads. */
  readonly events: EventLog;
  #native: { available: boolean; reason: string };
  #started = false;
  #stopped = false;
  readonly #reloads: Counter<'result'>;
  /** Sets the store's series gauges (`outrider_store_series`, by source) from the store. */
  #seriesGauges: () => void = () => undefined;
  #memory: MemoryLimiter;

  constructor(opts: AgentOptions) {
    this.#config = opts.config;
    this.log = opts.log;
    this.#native = opts.native ?? { available: false, reason: 'not loaded' };
    const core = coreOptionsFrom(opts.config);
    this.store = new Store(core.store);
    // The loop lag series from the lateness of the agent's own timers: no probe timer waking the idle process.
    this.telemetry = new Telemetry({ ...core.telemetry, loopLag: 'timers' });
    this.telemetry.setBuildInfo(this.#native.available);
    this.events = new EventLog(analysisOptionsFrom(opts.config).eventsMax, opts.log);
    const dropped = this.telemetry.counter(
      'outrider_store_dropped_writes_total',
      'Writes the store refused, by reason (max_series, source_budget, memory_limit, invalid_name, invalid_label, type_conflict).',
      ['reason'],
    );
    const bySource = this.telemetry.counter('outrider_store_source_dropped_writes_total', 'New series the store refused, by the source that wrote them.', ['source']);
    const limiter = new RateLimiter(60_000, 1);
    this.store.onDrop = (reason, fam, detail, source) => {
      dropped.inc({ reason });
      if (reason === 'memory_limit') this.#memory.refusedSeries();
      bySource.inc({ source });
      if (limiter.allow(reason + fam)) this.log.warn({ reason, metric: fam, source, detail }, 'The store refused a write.');
    };
    this.#memory = new MemoryLimiter(core.memoryLimiter, { store: this.store, log: this.log, telemetry: this.telemetry });
    const hostOwners = new Set(collectorNames());
    this.store.sourceOf = (owner) => storeSourceOf(owner, hostOwners);
    const series = this.telemetry.gauge('outrider_store_series', 'Series currently held in the store.', [], () => undefined);
    const sourceSeries = this.telemetry.gauge('outrider_store_source_series', 'Series held in the store, by the source that created them (self: the agent itself).', ['source'], () => undefined);
    this.#seriesGauges = () => {
      series.set(this.store.seriesCount);
      sourceSeries.reset();
      for (const [source, n] of this.store.seriesBySource()) sourceSeries.set({ source }, n);
    };
    registerContract(this.telemetry.registry, () => this.#contracts);
    this.#reloads = this.telemetry.counter(
      'outrider_config_reloads_total',
      'Configuration reloads (SIGHUP), by result (success, failure: the old configuration stays, invalid: refused by its checks).',
      ['result'],
    );
  }

  /** The running components' contract sources, by component name (tests; docs/components.md). */
  get contracts(): ReadonlyMap<string, ContractSources> {
    return this.#contracts;
  }

  /** The memory limiter (limits in force, whether it sheds). */
  get memoryLimiter(): MemoryLimiter {
    return this.#memory;
  }

  /** The local history, while history.enabled. */
  get history(): LocalHistory | undefined {
    return this.#history;
  }

  get config(): Config {
    return this.#config;
  }

  /** Base URL of the local endpoint once started. */
  url(): string | undefined {
    return this.#server?.url();
  }

  context(config = this.#config): AgentContext {
    const ctx: AgentContext = { config, store: this.store, log: this.log, health: this.health, telemetry: this.telemetry, paths: coreOptionsFrom(config).paths, events: this.events };
    if (this.#history) ctx.history = this.#history;
    return ctx;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.health.report('native', 'running', { ready: true, detail: this.#native.reason, info: { available: this.#native.available } });
    try {
      this.#memory.start();
      this.#server = this.#makeServer(this.#config);
      await this.#server.start();
      this.health.report('http', 'running', { ready: true, detail: `listening on ${this.#server.url()}` });
      await this.#startPipeline(this.#config);
      this.#startSweeper(this.#config);
      this.#seriesGauges();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.log.info({ url: this.#server.url(), collectors: this.#runner?.collectors.length, version }, 'Outrider agent is ready.');
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#sweeper?.tick.stop();
    this.#memory.stop();
    this.#live?.close();
    for (const p of this.#profiling.splice(0)) p.close();
    await this.#stopPipeline();
    await this.#server?.stop();
    this.health.report('http', 'stopped', { ready: false });
  }

  /**
   * The store's staleness sweep and the series gauges, at the collection interval held between 1 s and 5 s (and at
   * most a quarter of `store.stale_after`, at least 1 s): a series goes at most that late. On the telemetry's shared
   * tick, with the history's step when its period is the same (`Telemetry.interval`), so an idle agent at a 5 s
   * collection is not woken each second for it (bench/README.md, "Idle CPU: the servers' timeout checks and the
   * shared tick").
   */
  #startSweeper(config: Config): void {
    const periodMs = sweepPeriodMs(config.number('collectors.interval'), config.number('store.stale_after'));
    if (this.#sweeper?.periodMs === periodMs) return;
    this.#sweeper?.tick.stop();
    const tick = this.telemetry.interval(periodMs, () => {
      this.store.sweep();
      this.#seriesGauges();
    });
    this.#sweeper = { tick, periodMs };
  }

  /** Applies a new, already validated config. */
  async reload(config: Config): Promise<void> {
    const core = coreOptionsFrom(config);
    this.log.level = core.log.level;
    this.store.staleAfterMs = core.store.staleAfterMs;
    this.store.maxSeries = core.store.maxSeries;
    this.store.budgets = new Map(Object.entries(core.store.budgets));
    this.#memory.stop();
    this.#memory = new MemoryLimiter(core.memoryLimiter, { store: this.store, log: this.log, telemetry: this.telemetry });
    this.#memory.start();
    const was = coreOptionsFrom(this.#config);
    if (core.listen !== was.listen || core.webConfigFile !== was.webConfigFile) {
      const next = this.#makeServer(config);
      await next.start();
      const prev = this.#server;
      const prevLive = this.#live;
      this.#server = next;
      this.#live = this.#nextLive;
      prevLive?.close();
      await prev?.stop();
      this.health.report('http', 'running', { ready: true, detail: `listening on ${next.url()}` });
    }
    // A StatsD port in use would be found only after the old listeners closed: refuse the reload before that.
    const problem = await statsdReloadProblem(this.#config, config);
    if (problem) {
      this.#reloads.inc({ result: 'failure' });
      throw new OutriderError('OUTRIDER_ERR_CONFIG_RELOAD', `a new listener cannot be bound (${problem}); the old configuration stays in force`);
    }
    const prevConfig = this.#config;
    await this.#stopPipeline();
    this.#config = config;
    try {
      await this.#startPipeline(config);
    } catch (err) {
      // Something of the new pipeline could not start: go back to the old one rather than run half a pipeline.
      this.#reloads.inc({ result: 'failure' });
      await this.#stopPipeline();
      this.#config = prevConfig;
      await this.#startPipeline(prevConfig);
      throw new OutriderError('OUTRIDER_ERR_CONFIG_RELOAD', `${err instanceof Error ? err.message : String(err)}; the old configuration is back in force`);
    }
    this.#startSweeper(config);
    this.#reloads.inc({ result: 'success' });
    this.log.info({ file: config.file }, 'Configuration reloaded.');
  }

  /** Counts a reload refused before it reached the agent (an invalid configuration). */
  reloadRefused(): void {
    this.#reloads.inc({ result: 'invalid' });
  }

  #makeServer(config: Config): HttpServer {
    const requests = this.telemetry.counter('outrider_http_requests_total', 'Requests served by the local endpoint, by path and status code.', ['path', 'code']);
    const core = coreOptionsFrom(config);
    const server = new HttpServer({
      name: 'http',
      listen: core.listen,
      log: this.log,
      webConfigFile: core.webConfigFile,
      requestTimeoutMs: core.http.requestTimeoutMs,
      headersTimeoutMs: core.http.headerTimeoutMs,
      limits: listenerLimits('http', core.http, this.log, this.telemetry),
      onRequest: (path, _m, status) => requests.inc({ path, code: String(status) }),
    });
    mountEndpoint(server, {
      store: this.store,
      health: this.health,
      // The self telemetry written on a coarser cadence than the collection round is brought up to date first.
      beforeRead: () => this.telemetry.beforeRead(),
      targets: () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { targetsResponse } = require('./collectors/scrape/api') as typeof import('./collectors/scrape/api');
        return targetsResponse((this.#built.get('scrape')?.[0] as Scraper | undefined)?.targets() ?? []);
      },
      status: () => ({ version, uptime_seconds: Math.round(process.uptime()), native: this.#native }),
      history: () => this.#history,
      collectors: () => {
        const { enabled, disabled } = collectorsOptionsFrom(this.#config);
        return { known: collectorNames(), enabled: selectedCollectorNames(enabled, disabled) };
      },
    });
    server.route('GET', '/api/v1/events', (_req, res, url) => {
      const r = eventsResponse(this.events, url.searchParams);
      sendJson(res, r.status, r.body);
    });
    server.route('GET', '/api/v1/recommendations', (_req, res) => {
      const r = this.#built.get('recommend')?.find((c): c is Recommender => c instanceof Recommender);
      sendJson(res, 200, { status: 'success', data: r?.recommendations() ?? [] });
    });
    // The rules API, the query API and the live page load their code with their first request (core/lazy-routes.ts).
    mountRulesApiOnFirstRequest(server, () => (this.#built.get('rules')?.[0] as RulesManager | undefined)?.groups ?? []);
    // PromQL over the local history; answers 404 while history.enabled is off.
    mountQueryApi(
      server,
      () => this.#history,
      () => queryOptionsFrom(this.#config),
    );
    const live = liveOptionsFrom(config);
    this.#nextLive = undefined;
    if (live.enabled) {
      this.#nextLive = mountLive(server, {
        store: this.store,
        options: live,
        hostOwners: () => new Set(collectorNames()),
        telemetry: this.telemetry,
        history: () => this.#history,
        info: () => ({ version }),
      });
    }
    if (!this.#server) this.#live = this.#nextLive;
    // Profiling (off by default) brings node:inspector and node:crypto: loaded only when it is on.
    const profilingOptions = profilingOptionsFrom(config);
    if (profilingOptions.enabled) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { mountProfiling } = require('./core/profiling/routes') as typeof import('./core/profiling/routes');
      const profiling = mountProfiling(server, profilingOptions, this.log);
      if (profiling) this.#profiling.push(profiling);
    }
    return server;
  }

  /** Builds every registered component for `config` in start order and starts them in that order. */
  async #startPipeline(config: Config): Promise<void> {
    // The history outlives a reload that keeps its settings (its data is kept, like the store's).
    this.#history = historyFor(config, this.#history);
    const ctx = this.context(config);
    const built = new Map<ComponentName, Component[]>();
    const contracts = new Map<string, ContractSources>();
    for (const name of startOrder) {
      const entry: ComponentEntry = registry[name];
      const components = await entry.build(ctx);
      built.set(name, components);
      for (const c of components) {
        const sources = entry.contract[c.name];
        if (sources) contracts.set(c.name, sources);
      }
    }
    this.#built = built;
    this.#contracts = contracts;
    this.#runner = built.get('collectors')?.find((c): c is CollectorRunner => c instanceof CollectorRunner);
    for (const name of startOrder) for (const c of built.get(name) ?? []) await c.start();
  }

  /** Stops what #startPipeline built, in stop order; one component failing to stop does not keep the others up. */
  async #stopPipeline(): Promise<void> {
    for (const name of stopOrder) {
      for (const c of [...(this.#built.get(name) ?? [])].reverse()) {
        try {
          await c.stop();
        } catch (err) {
          this.log.error({ component: c.name, err: err instanceof Error ? err.message : String(err) }, 'Component failed to stop cleanly.');
        }
      }
    }
    this.#built = new Map();
    this.#contracts = new Map();
    this.#runner = undefined;
  }
}

/** The sweep's period: the collection interval, within 1-5 s, and at most a quarter of the staleness (at least 1 s). */
export function sweepPeriodMs(collectionMs: number, staleAfterMs: number): number {
  return Math.max(1000, Math.min(collectionMs, 5000, Math.floor(staleAfterMs / 4)));
}
