/**
 * The foundation's settings (core/keys.ts), parsed and typed once per configuration: the local endpoint, logging,
 * the host roots, the store's bounds, the agent's own telemetry and the labels taken from the environment. The
 * composition root and the commands read these, never the Config.
 */
import { join } from 'node:path';
import type { Config } from '../config/config';
import type { MemoryLimiterOptions } from './memory-limiter';
import type { Paths } from './paths';

export type LogFormat = 'auto' | 'json' | 'pretty';

export interface CoreOptions {
  /** HOST:PORT of the local endpoint. */
  listen: string;
  /** `web.config_file`: TLS, basic auth and headers of the endpoint (empty: none). */
  webConfigFile: string;
  log: { level: string; format: LogFormat };
  paths: Paths;
  /** `budgets`: series per source (store.budget.*), by source name. */
  store: { staleAfterMs: number; maxSeries: number; budgets: Record<string, number> };
  http: { requestTimeoutMs: number; headerTimeoutMs: number; maxConnections: number; maxConnectionsPerAddress: number; reservedConnections: number; reservedSources: string[] };
  telemetry: { runtimeMetrics: boolean };
  memoryLimiter: MemoryLimiterOptions;
  /** `labels.from_env`: label name → environment variable (core/labels.ts reads the variables). */
  labelsFromEnv: Readonly<Record<string, string>>;
}

export function optionsFrom(config: Config): CoreOptions {
  return {
    listen: config.string('listen'),
    webConfigFile: config.string('web.config_file'),
    log: { level: config.string('log_level'), format: config.string('log_format') as LogFormat },
    paths: resolvePaths(config),
    store: { staleAfterMs: config.number('store.stale_after'), maxSeries: config.number('store.max_series'), budgets: budgetsFrom(config) },
    http: {
      requestTimeoutMs: config.number('http.request_timeout'),
      headerTimeoutMs: config.number('http.header_timeout'),
      maxConnections: config.number('http.max_connections'),
      maxConnectionsPerAddress: config.number('http.max_connections_per_address'),
      reservedConnections: config.number('http.reserved_connections'),
      reservedSources: config.list<string>('http.reserved_sources'),
    },
    telemetry: { runtimeMetrics: config.bool('telemetry.runtime_metrics') },
    memoryLimiter: {
      limitBytes: config.number('memory_limiter.limit'),
      spikeBytes: config.number('memory_limiter.spike'),
      autoFraction: config.number('memory_limiter.auto_fraction'),
      checkIntervalMs: config.number('memory_limiter.check_interval'),
    },
    labelsFromEnv: config.get<Record<string, string>>('labels.from_env'),
  };
}

/** The sources with a series budget of their own (store.budget.<source>). */
export const budgetSources = ['host', 'scrape', 'statsd', 'otlp', 'push', 'remote_write', 'other'] as const;

function budgetsFrom(config: Config): Record<string, number> {
  return Object.fromEntries(budgetSources.map((s) => [s, config.number(`store.budget.${s}`)]));
}

/** Resolves the configured roots: procfs/sysfs left at their defaults follow path.rootfs. */
export function resolvePaths(config: Config): Paths {
  const rootfs = config.string('path.rootfs');
  const under = (key: string, def: string): string => {
    const v = config.string(key);
    return v === def && config.source(key) === 'default' && rootfs !== '/' ? join(rootfs, def) : v;
  };
  return { rootfs, procfs: under('path.procfs', '/proc'), sysfs: under('path.sysfs', '/sys') };
}
