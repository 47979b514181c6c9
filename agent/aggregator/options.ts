/**
 * The aggregator's settings parsed once from its `aggregator.*` keys (and `telemetry.runtime_metrics`): the typed
 * options `Aggregator` takes. The tokens file is read here, so a missing file is a start-up error with the key's name.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { optionsFrom as profilingOptionsFrom } from '../core/profiling/options';
import type { Config } from '../config/config';
import { OutriderError } from '../core/errors';
import type { AggregatorOptions, ForwardProtocol } from './server';

/** Tokens from `aggregator.tokens` and one per non-comment line of `aggregator.tokens_file`. */
export function tokensFrom(config: Config): string[] {
  const tokens = [...config.list<string>('aggregator.tokens')];
  const file = config.string('aggregator.tokens_file');
  if (!file) return tokens;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OutriderError('OUTRIDER_ERR_AGG_TOKENS_FILE', `cannot read aggregator.tokens_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  for (const line of text.split('\n')) if (line.trim() && !line.trim().startsWith('#')) tokens.push(line.trim());
  return tokens;
}

export function optionsFrom(config: Config, log: Logger): AggregatorOptions {
  return {
    listen: config.string('aggregator.listen'),
    tokens: tokensFrom(config),
    stateDir: config.string('aggregator.state_dir'),
    aggregatorId: config.string('aggregator.id'),
    agentExpiryMs: config.number('aggregator.agent_expiry'),
    agentRetentionMs: config.number('aggregator.agent_retention'),
    remoteWrite: config.list('aggregator.remote_write'),
    remoteWriteProtocol: config.string('aggregator.remote_write_protocol') as ForwardProtocol,
    forwardIntervalMs: config.number('aggregator.forward_interval'),
    maxBodyBytes: config.number('aggregator.max_body'),
    maxDecompressedBytes: config.number('aggregator.max_decompressed'),
    maxCompressionRatio: config.number('aggregator.max_compression_ratio'),
    maxAgents: config.number('aggregator.max_agents'),
    maxSeries: config.number('aggregator.max_series'),
    definitionIdleMs: config.number('aggregator.definition_idle'),
    publicReads: config.bool('aggregator.public_reads'),
    maxConnections: config.number('aggregator.max_connections'),
    maxConnectionsPerAddress: config.number('aggregator.max_connections_per_address'),
    headersTimeoutMs: config.number('aggregator.header_timeout'),
    idleTimeoutMs: config.number('aggregator.idle_timeout'),
    maxSequenceJump: config.number('aggregator.max_sequence_jump'),
    payloadLimits: {
      maxElements: config.number('aggregator.max_payload_values'),
      maxStringBytes: config.number('aggregator.max_payload_string_bytes'),
      labelLimit: config.number('aggregator.label_limit'),
      labelNameLengthLimit: config.number('aggregator.label_name_length_limit'),
      labelValueLengthLimit: config.number('aggregator.label_value_length_limit'),
    },
    snapshotIntervalMs: config.number('aggregator.snapshot_interval'),
    commitIntervalMs: config.number('aggregator.commit_interval'),
    quantiles: config.list<number>('aggregator.quantiles'),
    sketchMaxAgeMs: config.number('aggregator.sketch_max_age'),
    events: {
      perAgent: config.number('aggregator.events_per_agent'),
      maxEvents: config.number('aggregator.events_max'),
      maxBytes: config.number('aggregator.events_max_bytes'),
      maxBodyBytes: config.number('aggregator.events_max_body'),
    },
    runtimeMetrics: config.bool('telemetry.runtime_metrics'),
    webConfigFile: config.string('web.config_file'),
    profiling: profilingOptionsFrom(config),
    log,
  };
}
