/**
 * The composition root: the one place that knows every part of the agent. It holds the registry of components
 * (what each is, how it is built from the config, what its contract counts are read from), their start and stop
 * order, and the Agent that runs them: one store, the local endpoint that reads it, and the components that write
 * into it or ship it. start → ready; stop flushes and is safe at any time; reload swaps in a new config, keeping
 * the store (and the listener when its address did not change).
 *
 * Arrows point down from here: components never import each other or this file (docs/ARCHITECTURE.md, "Rules").
 */
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import { analysisComponents, analysisOptionsFrom, EventLog, eventsResponse } from './analysis/index';
import { recommendComponents } from './analysis/recommend/index';
import { Recommender } from './analysis/recommend/monitor';
import type { Collector } from './collectors/collector';
import { buildCollectors, collectorNames, selectedCollectorNames } from './collectors/kinds';
import { gpuOptions } from './collectors/gpu/options';
import { hostOptions } from './collectors/host/options';
import { optionsFrom as collectorsOptionsFrom } from './collectors/options';
import { CollectorRunner } from './collectors/runner';
import { targetsResponse } from './collectors/scrape/api';
import type { Scraper } from './collectors/scrape/scraper';
import { statsdExtension } from './collectors/statsd/index';
import { statsdReloadProblem } from './collectors/statsd/reload-check';
import { mountRulesApi } from './rules/http';
import type { RulesManager } from './rules/manager';
import type { Config } from './config/config';
import type { Component } from './core/component';
import { Health } from './core/component';
import type { AgentContext, Extension } from './core/context';
import { ContractSources, registerContract } from './core/contract';
import { listenerLimits } from './core/connection-limits';
import { HttpServer, sendJson } from './core/http-server';
import { mountProfiling, profilingOptionsFrom, type MountedProfiling } from './core/profiling/routes';
import { RateLimiter } from './core/log';
import { OutriderError } from './core/errors';
import { MemoryLimiter } from './core/memory-limiter';
import { optionsFrom as coreOptionsFrom } from './core/options';
import { Telemetry } from './core/telemetry';
import { version } from './core/version';
import { mountEndpoint } from './exposition/endpoint';
import { historyComponents, historyFor, LocalHistory } from './history/index';
import { QueryApi } from './query/api';
import { optionsFrom as queryOptionsFrom } from './query/options';
import { LivePage, optionsFrom as liveOptionsFrom, sourceClassifier } from './live/index';
import { OTHER_SOURCE, SELF_SOURCE, Store } from './store/store';

/**
 * One entry of the registry. A component's config keys are listed in ./keys.ts (each defined in a `keys.ts` next to
 * the component's code) and parsed once by its `optionsFrom(config)`.
 */
export interface ComponentEntry {
  /** The components it builds for a config (none when disabled). */
  readonly build: Extension;
  /** The names of the components it may build, each with the sources of its contract counts (core/contract.ts). */
  readonly contract: Readonly<Record<string, ContractSources>>;
}

/**
 * Every component of the agent. Adding one (scrape, OTLP, textfile...) is an entry here, its place in the two
 * orders below, and its contract sources; nothing else in the tree has to learn about it.
 */
export const registry = {
  /** Delivery: the reporter (report.endpoints) and the remote write output (report.remote_write). */
  report: {
    build: (ctx) => import('./report/index').then((m) => m.reportExtension(ctx)),
    contract: {
      report: {
        received: [{ metric: 'outrider_report_samples_total' }],
        sent: [
          { metric: 'outrider_report_batches_total', labels: { result: 'acked' } },
          { metric: 'outrider_report_batches_total', labels: { result: 'duplicate' } },
        ],
        dropped: [{ metric: 'outrider_report_dropped_batches_total' }],
        errors: [{ metric: 'outrider_report_retries_total' }, { metric: 'outrider_report_spool_write_errors_total' }],
      },
      report_events: {
        received: [{ metric: 'outrider_events_queued_total' }],
        sent: [{ metric: 'outrider_events_sent_total' }],
        dropped: [{ metric: 'outrider_events_dropped_total' }],
        errors: [{ metric: 'outrider_events_send_failures_total' }],
      },
      remote_write: {
        received: [{ metric: 'outrider_remote_write_samples_total' }],
        sent: [{ metric: 'outrider_remote_write_requests_total', labels: { result: 'ok' } }],
        dropped: [{ metric: 'outrider_remote_write_dropped_requests_total' }],
        errors: [{ metric: 'outrider_remote_write_retries_total' }],
      },
    },
  },
  /** The HTTP push listener (push.listen). */
  push: {
    build: (ctx) => import('./collectors/push/index').then((m) => m.pushExtension(ctx)),
    contract: {
      push: {
        received: [{ metric: 'outrider_push_samples_total' }, { metric: 'outrider_remote_write_receive_samples_total' }],
        sent: [{ metric: 'outrider_push_samples_total' }, { metric: 'outrider_remote_write_receive_samples_total' }],
        dropped: [{ metric: 'outrider_remote_write_receive_dropped_series_total' }],
        errors: [{ metric: 'outrider_push_refused_requests_total' }, { metric: 'outrider_remote_write_receive_refused_requests_total' }],
      },
    },
  },
  /** StatsD / DogStatsD (statsd.enabled). */
  statsd: {
    build: statsdExtension,
    contract: {
      statsd: {
        received: [{ metric: 'outrider_statsd_packets_total' }],
        sent: [{ metric: 'outrider_statsd_lines_total' }],
        dropped: [
          { metric: 'outrider_statsd_packets_too_large_total' },
          { metric: 'outrider_statsd_kernel_drops_total' },
          { metric: 'outrider_statsd_series_overflow_total' },
          { metric: 'outrider_statsd_dropped_samples_total' },
        ],
        errors: [{ metric: 'outrider_statsd_invalid_lines_total' }],
      },
    },
  },
  /** Prometheus scraping (scrape.targets and the pod annotations). */
  scrape: {
    // Loaded only when built: the HTTP client it brings weighs ~20 MiB of RSS an agent without targets never uses.
    build: (ctx) => import('./collectors/scrape/index').then((m) => m.scrapeExtension(ctx)),
    contract: {
      scrape: {
        received: [{ metric: 'outrider_scrape_samples_scraped_total' }],
        sent: [{ metric: 'outrider_scrape_samples_stored_total' }],
        dropped: [{ metric: 'outrider_scrape_limit_breaches_total' }],
        errors: [{ metric: 'outrider_scrape_failures_total' }],
      },
    },
  },
  /** The OpenTelemetry metrics receiver (otlp.enabled): OTLP/HTTP and OTLP/gRPC. */
  otlp: {
    build: (ctx) => import('./collectors/otlp/index').then((m) => m.otlpExtension(ctx)),
    contract: {
      'otlp-http': otlpContract('http'),
      'otlp-grpc': otlpContract('grpc'),
    },
  },
  /** Local recording and alerting rules (rules.files) on the local history, and their delivery to Alertmanager. */
  rules: {
    build: (ctx) => import('./rules/index').then((m) => m.rulesExtension(ctx)),
    contract: {
      rules: {
        received: [{ metric: 'outrider_rule_evaluations_total' }],
        sent: [{ metric: 'outrider_rules_notifications_sent_total' }],
        dropped: [{ metric: 'outrider_rules_notifications_dropped_total' }],
        errors: [{ metric: 'outrider_rule_evaluation_failures_total' }],
      },
    },
  },
  /** The local history (history.enabled): samples every series of the store at history.step. */
  history: {
    build: (ctx) => historyComponents(ctx.history instanceof LocalHistory ? ctx.history : undefined, ctx),
    contract: {
      history: {
        received: [{ metric: 'outrider_history_samples_total' }],
        sent: [{ metric: 'outrider_history_samples_total' }],
        dropped: [{ metric: 'outrider_history_dropped_series_total' }],
        errors: [{ metric: 'outrider_history_skipped_rounds_total' }],
      },
    },
  },
  /** The local analysis (analysis.enabled, over the local history): anomaly scores and forecasts. */
  analysis: {
    build: (ctx) => analysisComponents(ctx),
    contract: {
      analysis: {
        received: [{ metric: 'outrider_analysis_points_total' }],
        sent: [{ metric: 'outrider_analysis_points_total' }],
        dropped: [{ metric: 'outrider_analysis_refused_series_total' }],
        errors: [{ metric: 'outrider_analysis_failed_rounds_total' }],
      },
    },
  },
  /** Drift of every distribution between its current and reference windows (drift.enabled). */
  drift: {
    build: (ctx) => import('./analysis/drift/index').then((m) => m.driftComponents(ctx)),
    contract: {
      drift: {
        received: [{ metric: 'outrider_drift_observations_total' }],
        sent: [{ metric: 'outrider_drift_evaluations_total' }],
        dropped: [{ metric: 'outrider_drift_skipped_series_total' }],
        errors: [{ metric: 'outrider_drift_listener_errors_total' }],
      },
    },
  },
  /** Right-sizing: the VPA recommender's recommendation per cgroup (recommend.enabled). */
  recommend: {
    build: recommendComponents,
    contract: {
      recommend: {
        received: [{ metric: 'outrider_recommend_samples_total' }],
        sent: [{ metric: 'outrider_recommend_samples_total' }],
        dropped: [{ metric: 'outrider_recommend_skipped_containers_total' }],
        errors: [{ metric: 'outrider_recommend_state_errors_total' }],
      },
    },
  },
  /** The collector runner: every selected collector of every registered kind, plus the agent's own telemetry. */
  collectors: {
    build: (ctx) => [collectorRunner(ctx)],
    contract: {
      collectors: {
        received: [{ metric: 'outrider_collector_runs_total' }],
        sent: [{ metric: 'outrider_collector_runs_total', labels: { result: 'success' } }],
        dropped: [{ metric: 'outrider_collector_skipped_runs_total' }],
        errors: [{ metric: 'outrider_collector_errors_total' }],
      },
    },
  },
} satisfies Record<string, ComponentEntry>;

export type ComponentName = keyof typeof registry;

function otlpContract(transport: 'http' | 'grpc'): ContractSources {
  return {
    received: [
      { metric: 'outrider_otlp_data_points_total', labels: { transport } },
      { metric: 'outrider_otlp_rejected_data_points_total', labels: { transport } },
    ],
    sent: [{ metric: 'outrider_otlp_data_points_total', labels: { transport } }],
    dropped: [{ metric: 'outrider_otlp_rejected_data_points_total', labels: { transport } }],
    errors: [{ metric: 'outrider_otlp_refused_requests_total', labels: { transport } }],
  };
}

/** Start order: outputs first (nothing produced is lost), then the receivers, then the collectors. */
export const startOrder: readonly ComponentName[] = ['report', 'push', 'statsd', 'otlp', 'scrape', 'history', 'analysis', 'rules', 'drift', 'recommend', 'collectors'];

/**
 * Stop order: the producers (StatsD, push) flush their last interval into the store before the outputs take their
 * final flush; the collector runner last.
 */
export const stopOrder: readonly ComponentName[] = ['statsd', 'otlp', 'push', 'scrape', 'rules', 'report', 'analysis', 'history', 'drift', 'recommend', 'collectors'];

function collectorRunner(ctx: AgentContext): CollectorRunner {
  const { enabled, disabled, intervalMs, timeoutMs } = collectorsOptionsFrom(ctx.config);
  const selected = selectedCollectorNames(enabled, disabled);
  // Parsed once here: the host and gpu collectors' regular expressions and limits are not read again at collection time.
  hostOptions(ctx.config);
  gpuOptions(ctx.config);
  const collectors: Collector[] = buildCollectors(selected);
  // The agent's own telemetry, copied into the store on the collection interval (owner `outrider`).
  collectors.push({ name: 'outrider', defaultEnabled: true, internal: true, collect: () => ctx.telemetry.snapshot() });
  for (const name of collectorNames()) if (!selected.has(name)) ctx.store.dropOwner(name);
  return new CollectorRunner({ store: ctx.store, config: ctx.config, paths: ctx.paths, log: ctx.log, health: ctx.health, telemetry: ctx.telemetry, collectors, defaults: { intervalMs, timeoutMs } });
}

/** The store source of a series created outside a writer's scope, from its owner (store.ts, "Budgets"). */
export function storeSourceOf(owner: string | undefined, hostOwners: ReadonlySet<string>): string {
  if (owner === 'outrider') return SELF_SOURCE;
  if (owner === undefined) return OTHER_SOURCE;
  if (owner.startsWith('scrape:')) return 'scrape';
  return hostOwners.has(owner) ? 'host' : OTHER_SOURCE;
}

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
  #live: LivePage | undefined;
  #nextLive: LivePage | undefined;
  #profiling: MountedProfiling[] = [];
  #runner: CollectorRunner | undefined;
  #built = new Map<ComponentName, Component[]>();
  #contracts = new Map<string, ContractSources>();
  #sweeper: NodeJS.Timeout | undefined;
  #history: LocalHistory | undefined;
  /** Events of the analysis (and of any component given ctx.events), kept across reloads. */
  readonly events: EventLog;
  #native: { available: boolean; reason: string };
  #started = false;
  #stopped = false;
  readonly #reloads: Counter<'result'>;
  #sourceGauge: () => void = () => undefined;
  #memory: MemoryLimiter;

  constructor(opts: AgentOptions) {
    this.#config = opts.config;
    this.log = opts.log;
    this.#native = opts.native ?? { available: false, reason: 'not loaded' };
    const core = coreOptionsFrom(opts.config);
    this.store = new Store(core.store);
    this.telemetry = new Telemetry(core.telemetry);
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
    this.telemetry.gauge('outrider_store_series', 'Series currently held in the store.', [], () => undefined);
    const sourceSeries = this.telemetry.gauge('outrider_store_source_series', 'Series held in the store, by the source that created them (self: the agent itself).', ['source'], () => undefined);
    this.#sourceGauge = () => {
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
    const seriesGauge = this.telemetry.registry.getSingleMetric('outrider_store_series') as Gauge;
    this.health.report('native', 'running', { ready: true, detail: this.#native.reason, info: { available: this.#native.available } });
    try {
      this.#memory.start();
      this.#server = this.#makeServer(this.#config);
      await this.#server.start();
      this.health.report('http', 'running', { ready: true, detail: `listening on ${this.#server.url()}` });
      await this.#startPipeline(this.#config);
      this.#sweeper = setInterval(() => {
        this.store.sweep();
        seriesGauge.set(this.store.seriesCount);
        this.#sourceGauge();
      }, 1000);
      this.#sweeper.unref();
      seriesGauge.set(this.store.seriesCount);
      this.#sourceGauge();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.log.info({ url: this.#server.url(), collectors: this.#runner?.collectors.length, version }, 'Outrider agent is ready.');
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#memory.stop();
    this.#live?.close();
    for (const p of this.#profiling.splice(0)) p.close();
    await this.#stopPipeline();
    await this.#server?.stop();
    this.health.report('http', 'stopped', { ready: false });
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
      targets: () => targetsResponse((this.#built.get('scrape')?.[0] as Scraper | undefined)?.targets() ?? []),
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
    mountRulesApi(server, () => (this.#built.get('rules')?.[0] as RulesManager | undefined)?.groups ?? []);
    // PromQL over the local history; answers 404 while history.enabled is off.
    new QueryApi(
      () => this.#history,
      () => queryOptionsFrom(this.#config),
    ).mount(server);
    const live = liveOptionsFrom(config);
    this.#nextLive = undefined;
    if (live.enabled) {
      this.#nextLive = new LivePage({
        store: this.store,
        options: live,
        sourceOf: sourceClassifier(new Set(collectorNames())),
        telemetry: this.telemetry,
        history: () => this.#history,
        info: () => ({ version }),
      });
      this.#nextLive.mount(server);
    }
    if (!this.#server) this.#live = this.#nextLive;
    const profiling = mountProfiling(server, profilingOptionsFrom(config), this.log);
    if (profiling) this.#profiling.push(profiling);
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
