/**
 * `outrider aggregator`: the central aggregator (agent/aggregator). Its keys are the aggregator.* section; in this
 * command --listen is short for --aggregator.listen (the agent's own `listen` key does not apply here).
 */
import { readFileSync } from 'node:fs';
import { Aggregator } from '../aggregator/server';
import { profilingOptionsFrom } from '../core/profiling/routes';
import type { RemoteWriteProtocol } from '../report/remote-write/output';
import { ExitCode, isOutriderError } from '../core/errors';
import { createLogger } from '../core/log';
import { formatProblem } from '../config/load';
import { parseArgs } from './args';
import { configFromArgs } from './config-args';
import { flagHelp } from './help';
import { serveUntilSignal } from './serve';

export const usage = () => `Usage: outrider aggregator [flags]

Receives agents' batches, deduplicates them, merges them (fleet-wide counters, per-agent gauges), serves /metrics,
/api/v1/agents, /healthz and /readyz, and forwards by Prometheus remote write. Without tokens it serves loopback only.

Flags:
  --config=FILE
      YAML config file.
  --listen=HOST:PORT
      Short for --aggregator.listen.
${flagHelp('aggregator', true)}`;

/** Rewrites the command's short spellings to their keys. */
export function aggregatorArgv(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '--listen' ? '--aggregator.listen' : a.startsWith('--listen=') ? '--aggregator.listen=' + a.slice(9) : a));
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(aggregatorArgv(argv));
  if (args.own.has('help') || args.own.has('h')) {
    process.stdout.write(usage() + '\n');
    return ExitCode.ok;
  }
  const { config, problems, warnings } = configFromArgs(args);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`outrider: bad configuration: ${formatProblem(p)}\n`);
    return ExitCode.badConfig;
  }
  const log = createLogger({ level: config.string('log_level'), format: config.get('log_format'), name: 'outrider-aggregator' });
  for (const w of warnings) log.warn(w);
  const tokens = [...config.list('aggregator.tokens')];
  const tokensFile = config.string('aggregator.tokens_file');
  if (tokensFile) {
    try {
      for (const line of readFileSync(tokensFile, 'utf8').split('\n')) if (line.trim() && !line.trim().startsWith('#')) tokens.push(line.trim());
    } catch (err) {
      process.stderr.write(`outrider: cannot read aggregator.tokens_file ${tokensFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return ExitCode.failure;
    }
  }
  let agg: Aggregator;
  try {
    agg = new Aggregator({
      listen: config.string('aggregator.listen'),
      profiling: profilingOptionsFrom(config),
      tokens,
      stateDir: config.string('aggregator.state_dir'),
      remoteWrite: config.list('aggregator.remote_write'),
      remoteWriteProtocol: config.string('aggregator.remote_write_protocol') as RemoteWriteProtocol,
      forwardIntervalMs: config.number('aggregator.forward_interval'),
      maxBodyBytes: config.number('aggregator.max_body'),
      maxDecompressedBytes: config.number('aggregator.max_decompressed'),
      maxCompressionRatio: config.number('aggregator.max_compression_ratio'),
      maxAgents: config.number('aggregator.max_agents'),
      maxSeries: config.number('aggregator.max_series'),
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
      runtimeMetrics: config.bool('telemetry.runtime_metrics'),
      log,
    });
    await agg.start();
  } catch (err) {
    process.stderr.write(`outrider: ${isOutriderError(err) ? err.message : err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return ExitCode.failure;
  }
  return serveUntilSignal(agg, log);
}
