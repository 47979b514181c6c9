/**
 * The registry of the agent's components: what each is, how it is built from the config, what its contract counts
 * are read from, and their start and stop order. The composition root (./agent.ts) runs them.
 */
import { analysisComponents } from './analysis/index';
import { recommendComponents } from './analysis/recommend/index';
import type { Collector } from './collectors/collector';
import { buildCollectors, collectorNames, selectedCollectorNames } from './collectors/kinds';
import { gpuOptions } from './collectors/gpu/options';
import { hostOptions } from './collectors/host/options';
import { optionsFrom as collectorsOptionsFrom } from './collectors/options';
import { optionsFrom as pushOptionsFrom } from './collectors/push/options';
import { hasScrapeWork, optionsFrom as scrapeOptionsFrom } from './collectors/scrape/options';
import { CollectorRunner } from './collectors/runner';
import { statsdExtension } from './collectors/statsd/index';
import type { AgentContext, Extension } from './core/context';
import { ContractSources } from './core/contract';
import { SELF_OWNER, TelemetryWriter } from './core/telemetry-writer';
import { historyComponents, LocalHistory } from './history/index';
import { optionsFrom as reportOptionsFrom } from './report/options';
import { optionsFrom as rulesOptionsFrom } from './rules/options';
import { OTHER_SOURCE, SELF_SOURCE } from './store/store';

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
    // Its code loads only when an output is configured (the options are parsed at start either way).
    build: (ctx) => {
      const o = reportOptionsFrom(ctx.config);
      return o.reporter || o.remoteWrite ? import('./report/index').then((m) => m.reportExtension(ctx)) : [];
    },
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
    build: (ctx) => (pushOptionsFrom(ctx.config).listen !== undefined ? import('./collectors/push/index').then((m) => m.pushExtension(ctx)) : []),
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
    // Loaded only when there is something to scrape: the HTTP client it brings weighs ~20 MiB of RSS an agent
    // without targets never uses. Its options (./collectors/scrape/options.ts) load the target parsing only for a target.
    build: (ctx) => (hasScrapeWork(scrapeOptionsFrom(ctx.config)) ? import('./collectors/scrape/index').then((m) => m.scrapeExtension(ctx)) : []),
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
    build: (ctx) => {
      // Without rule files the rules manager and the query engine it evaluates with are not loaded; once loaded (a
      // reload that drops the files), the module is asked as before, so it drops the groups it carried.
      if (!rulesLoaded && rulesOptionsFrom(ctx.config).files.length === 0) return [];
      rulesLoaded = true;
      return import('./rules/index').then((m) => m.rulesExtension(ctx));
    },
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

/** Whether the rules module was loaded in this process (by a config with rule files). */
let rulesLoaded = false;

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
  // The agent's own telemetry, written into the store on the collection interval (owner `outrider`).
  // Its component metrics are read every runtimeRefreshMs (5 s) and before each /metrics render (Telemetry.onRead),
  // not every round: a scrape is served them as they are (bench/README.md, Footprint, "the self telemetry on read").
  const self = new TelemetryWriter(ctx.telemetry, ctx.store, SELF_OWNER, { componentRefreshMs: ctx.telemetry.runtimeRefreshMs });
  const offRead = ctx.telemetry.onRead(() => self.catchUp());
  collectors.push({ name: SELF_OWNER, defaultEnabled: true, internal: true, writesOwnSeries: true, collect: async () => (await self.write(), []), close: offRead });
  for (const name of collectorNames()) if (!selected.has(name)) ctx.store.dropOwner(name);
  return new CollectorRunner({
    store: ctx.store,
    config: ctx.config,
    paths: ctx.paths,
    log: ctx.log,
    health: ctx.health,
    telemetry: ctx.telemetry,
    collectors,
    defaults: { intervalMs, timeoutMs },
    durationRefreshMs: ctx.telemetry.runtimeRefreshMs,
  });
}

/** The store source of a series created outside a writer's scope, from its owner (store.ts, "Budgets"). */
export function storeSourceOf(owner: string | undefined, hostOwners: ReadonlySet<string>): string {
  if (owner === 'outrider') return SELF_SOURCE;
  if (owner === undefined) return OTHER_SOURCE;
  if (owner.startsWith('scrape:')) return 'scrape';
  return hostOwners.has(owner) ? 'host' : OTHER_SOURCE;
}
