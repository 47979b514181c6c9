/** The StatsD receiver's settings (statsd/keys.ts), parsed and typed once per configuration: listen URLs, modes, limits. */
import type { Config } from '../../config/config';
import { OutriderError } from '../../core/errors';
import { ListenSpec, parseListenUrl } from './listen';
import type { MappingRuleConfig, ObserverType } from './mapping';

export type StatsdEngineMode = 'auto' | 'native' | 'ts';

export interface StatsdOptions {
  enabled: boolean;
  listen: ListenSpec[];
  engine: StatsdEngineMode;
  receiverThreads: number;
  flushIntervalMs: number;
  receiveBufferBytes: number;
  maxPacketBytes: number;
  /** File mode of unix:// listener sockets (parsed from octal). */
  socketMode: number;
  mappings: MappingRuleConfig[];
  observerType: ObserverType;
  quantiles: number[];
  summaryWindow: number;
  buckets: number[];
  maxSeriesPerMetric: number;
  /** The series bound in force: statsd.max_series, or fewer when statsd.max_memory says so. */
  maxSeries: number;
  /** statsd.max_memory in bytes (0: none). */
  maxMemoryBytes: number;
  seriesTtlMs: number;
  /** `labels.from_env` (label → environment variable): the pod identity every series carries. */
  labelsFromEnv: Readonly<Record<string, string>>;
}

/**
 * What one StatsD series costs in resident memory once held (series table, store series, the native aggregator's
 * slot and key), measured by bench/statsd-series-cost.ts at 10k-200k series (bench/README.md, StatsD memory).
 */
export const STATSD_BYTES_PER_SERIES = 1024;

/** The series bound: statsd.max_series, held to what statsd.max_memory pays for (at least 1). */
export function seriesBound(maxSeries: number, maxMemoryBytes: number): number {
  return maxMemoryBytes > 0 ? Math.max(1, Math.min(maxSeries, Math.floor(maxMemoryBytes / STATSD_BYTES_PER_SERIES))) : maxSeries;
}

export function optionsFrom(config: Config): StatsdOptions {
  const listen = config.list('statsd.listen').map((u) => {
    const r = parseListenUrl(u);
    if (typeof r === 'string') throw new OutriderError('OUTRIDER_ERR_CONFIG_INVALID', `statsd.listen: ${r}`);
    return r;
  });
  return {
    enabled: config.bool('statsd.enabled'),
    listen,
    engine: config.string('statsd.engine') as StatsdEngineMode,
    receiverThreads: config.number('statsd.receiver_threads'),
    flushIntervalMs: config.number('statsd.flush_interval'),
    receiveBufferBytes: config.number('statsd.receive_buffer'),
    maxPacketBytes: config.number('statsd.max_packet_size'),
    socketMode: parseInt(config.string('statsd.socket_mode'), 8),
    mappings: config.get<MappingRuleConfig[]>('statsd.mappings'),
    observerType: config.string('statsd.observer_type') as ObserverType,
    quantiles: config.list<number>('statsd.quantiles'),
    summaryWindow: config.number('statsd.summary_window'),
    buckets: config.list<number>('statsd.buckets'),
    maxSeriesPerMetric: config.number('statsd.max_series_per_metric'),
    maxSeries: seriesBound(config.number('statsd.max_series'), config.number('statsd.max_memory')),
    maxMemoryBytes: config.number('statsd.max_memory'),
    seriesTtlMs: config.number('statsd.series_ttl'),
    labelsFromEnv: config.get<Record<string, string>>('labels.from_env'),
  };
}
