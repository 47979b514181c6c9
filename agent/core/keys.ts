/** Keys of the foundation: the local endpoint, logging, paths, the store, HTTP limits, the agent's own telemetry. */
import { defineKeys } from '../config/schema';
import { checkSource } from './connection-limits';

export const coreKeys = defineKeys([
  {
    key: 'listen',
    type: 'hostport',
    default: '127.0.0.1:9477',
    help: 'Address of the local HTTP endpoint (/metrics, /healthz, /readyz, /api/v1); loopback unless you open it on purpose.',
    common: true,
  },
  {
    key: 'log_level',
    type: 'enum',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
    default: 'info',
    help: 'Least severe log level written.',
    common: true,
    commands: ['agent', 'aggregator', 'injector'],
  },
  {
    key: 'log_format',
    type: 'enum',
    values: ['auto', 'json', 'pretty'],
    default: 'auto',
    help: 'Log line format: JSON lines, human-readable, or auto (pretty when stderr is a terminal, JSON otherwise).',
    commands: ['agent', 'aggregator', 'injector'],
  },
  {
    key: 'path.procfs',
    type: 'path',
    default: '/proc',
    help: 'Where procfs is mounted; made relative to path.rootfs when that is set and this is left at its default.',
    common: true,
  },
  {
    key: 'path.sysfs',
    type: 'path',
    default: '/sys',
    help: 'Where sysfs is mounted; made relative to path.rootfs when that is set and this is left at its default.',
    common: true,
  },
  {
    key: 'path.rootfs',
    type: 'path',
    default: '/',
    help: "The host's root filesystem, e.g. /host in a container that mounts the host's / read-only there.",
    common: true,
  },
  {
    key: 'store.stale_after',
    type: 'duration',
    default: 60_000,
    min: 1000,
    help: 'A series not updated for this long disappears from the output (collectors that re-list everything drop vanished series at once).',
  },
  {
    key: 'store.max_series',
    type: 'int',
    default: 500_000,
    min: 1,
    help: 'Upper bound on series held in the store; writes that would pass it are dropped and counted in outrider_store_dropped_writes_total.',
  },
  {
    key: 'store.budget.host',
    type: 'int',
    default: 50_000,
    min: 0,
    help: 'Series the host and GPU collectors may hold in the store; new ones past it are dropped and counted (reason source_budget), leaving room for the other sources. 0: no budget of its own (store.max_series only).',
  },
  {
    key: 'store.budget.scrape',
    type: 'int',
    default: 100_000,
    min: 0,
    help: 'Series scraped targets (all targets together) may hold in the store; new ones past it are dropped and counted (reason source_budget), leaving room for the other sources. 0: no budget of its own (store.max_series only).',
  },
  {
    key: 'store.budget.statsd',
    type: 'int',
    default: 100_000,
    min: 0,
    help: 'Series StatsD and DogStatsD may hold in the store; new ones past it are dropped and counted (reason source_budget), leaving room for the other sources. 0: no budget of its own (store.max_series only).',
  },
  {
    key: 'store.budget.otlp',
    type: 'int',
    default: 100_000,
    min: 0,
    help: 'Series OTLP/HTTP and OTLP/gRPC may hold in the store; new ones past it are dropped and counted (reason source_budget), leaving room for the other sources. 0: no budget of its own (store.max_series only).',
  },
  {
    key: 'store.budget.push',
    type: 'int',
    default: 50_000,
    min: 0,
    help: 'Series the push listener (POST /api/v1/push) may hold in the store; new ones past it are dropped and counted (reason source_budget), leaving room for the other sources. 0: no budget of its own (store.max_series only).',
  },
  {
    key: 'store.budget.remote_write',
    type: 'int',
    default: 50_000,
    min: 0,
    help: 'Series remote write received on the push listener (POST /api/v1/write) may hold in the store; new ones past it are dropped and counted (reason source_budget), leaving room for the other sources. 0: no budget of its own (store.max_series only).',
  },
  {
    key: 'store.budget.other',
    type: 'int',
    default: 50_000,
    min: 0,
    help: "Series everything else (recording rules, analysis outputs, the collector runner's node_scrape_collector_* series) may hold in the store; new ones past it are dropped and counted (reason source_budget), leaving room for the other sources. 0: no budget of its own (store.max_series only).",
  },
  {
    key: 'http.request_timeout',
    type: 'duration',
    default: 30_000,
    min: 100,
    help: 'Time a client has to send a whole request to the local endpoint before the connection is closed.',
  },
  {
    key: 'http.header_timeout',
    type: 'duration',
    default: 5_000,
    min: 100,
    help: 'Time a client has to send the headers of a request to the local endpoint (or the push listener) before the connection is closed (408); enforced within a second.',
  },
  {
    key: 'http.max_connections',
    type: 'int',
    default: 256,
    min: 1,
    help: 'Concurrent connections the local endpoint (and the push listener) accepts; when full, a newcomer takes the slot of the oldest idle connection of an unreserved source, else it is refused and counted in outrider_http_connections_refused_total.',
  },
  {
    key: 'http.max_connections_per_address',
    type: 'int',
    default: 32,
    min: 1,
    help: 'Concurrent connections one client address may hold on the local endpoint (and the push listener); more are refused and counted.',
  },
  {
    key: 'http.reserved_connections',
    type: 'int',
    default: 16,
    min: 0,
    help: 'Connections of http.max_connections that only http.reserved_sources may take, so a local scraper gets in while other clients hold every other slot.',
  },
  {
    key: 'http.reserved_sources',
    type: 'list',
    item: 'string',
    default: ['127.0.0.1', '::1'],
    check: (v) => (v as string[]).map(checkSource).find((e) => e !== undefined),
    help: "Addresses or CIDR ranges (e.g. your Prometheus's pod range) that may take the reserved connections; their connections are never closed to make room for others.",
  },
  {
    key: 'web.config_file',
    type: 'path',
    default: '',
    flagAliases: ['web.config.file'],
    help: "Exporter-toolkit web config file (node_exporter's format: tls_server_config, basic_auth_users, http_server_config.headers) for the agent's endpoint or the aggregator's listener; re-read when it or its certificates change and on SIGHUP. Empty: plain HTTP, no authentication.",
    commands: ['agent', 'aggregator'],
  },
  {
    key: 'telemetry.runtime_metrics',
    type: 'bool',
    default: true,
    help: "Expose the agent's own process and Node.js runtime metrics (process_*, nodejs_*) on /metrics.",
  },
]);

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const envVar = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Labels every StatsD series and reported batch gets from the environment (core/labels.ts). */
export const labelKeys = defineKeys([
  {
    key: 'labels.from_env',
    type: 'map',
    default: { pod: 'OUTRIDER_POD_NAME', namespace: 'OUTRIDER_POD_NAMESPACE', node: 'OUTRIDER_NODE_NAME' },
    help: 'Labels added to StatsD series and reported batches, each taken from an environment variable (label=VAR); a variable that is unset or empty adds no label. The defaults read the downward-API variables `outrider inject` sets in a pod; {} turns this off.',
    check: (v) => {
      for (const [label, name] of Object.entries(v as Record<string, string>)) {
        if (!labelName.test(label) || label.startsWith('__')) return `label names matching ${labelName.source} (got ${JSON.stringify(label)})`;
        if (!envVar.test(name)) return `environment variable names (got ${JSON.stringify(name)} for label ${label})`;
      }
      return undefined;
    },
  },
]);

/** The memory limiter (core/memory-limiter.ts). */
export const memoryLimiterKeys = defineKeys([
  {
    key: 'memory_limiter.limit',
    type: 'size',
    default: 0,
    min: 0,
    help: "Resident set size the agent must stay under; shedding starts at this limit less memory_limiter.spike. 0: memory_limiter.auto_fraction of the cgroup's memory limit when there is one, else no limiter.",
  },
  {
    key: 'memory_limiter.spike',
    type: 'size',
    default: 0,
    min: 0,
    help: 'Headroom kept below memory_limiter.limit for growth between two checks: shedding starts at limit less spike (0: a fifth of the limit).',
  },
  {
    key: 'memory_limiter.auto_fraction',
    type: 'number',
    default: 0.9,
    min: 0.1,
    max: 1,
    help: "Fraction of the cgroup's memory limit taken as memory_limiter.limit when that is 0.",
  },
  {
    key: 'memory_limiter.check_interval',
    type: 'duration',
    default: 1_000,
    min: 50,
    help: 'How often the memory limiter reads the resident set size.',
  },
]);
