/**
 * `outrider aggregator`: the central aggregator (agent/aggregator). Its keys are the aggregator.* section; in this
 * command --listen is short for --aggregator.listen (the agent's own `listen` key does not apply here).
 */
import { Aggregator, ForwarderFactory } from '../aggregator/server';
import { RemoteWriteOutput } from '../report/remote-write/output';
import { ClientTlsOptions, tlsOptionsFrom } from '../report/tls/options';
import { warnInsecure } from '../report/tls/warn';
import { optionsFrom } from '../aggregator/options';
import { ExitCode, isOutriderError } from '../core/errors';
import { createLogger } from '../core/log';
import { formatProblem } from '../config/load';
import type { Config } from '../config/config';
import type { Logger } from 'pino';
import { parseArgs } from './args';
import { configFromArgs } from './config-args';
import { flagHelp } from './help';
import { stopOnSignal, trapStopSignals } from './serve';

export const usage = () => `Usage: outrider aggregator [flags]

Receives agents' batches, deduplicates them, merges them (fleet-wide counters, per-agent gauges), serves /metrics,
/api/v1/agents, /healthz and /readyz, and forwards by Prometheus remote write. Without tokens it serves loopback only.

Flags:
  --config=FILE
      YAML config file.
  --listen=HOST:PORT
      Short for --aggregator.listen.
${flagHelp('aggregator', true)}`;

/** The aggregator's forward: the remote write output over its store (HTTPS with `tls`: aggregator.remote_write_tls.*). */
export function remoteWriteForwarder(tls?: ClientTlsOptions): ForwarderFactory {
  return (store, o) => new RemoteWriteOutput(store, { ...o, tls });
}

/** The aggregator a config describes, not started: its options, and its forward with the forward's client TLS. */
export function aggregatorFrom(config: Config, log: Logger): Aggregator {
  const options = optionsFrom(config, log);
  const tls = tlsOptionsFrom(config, 'aggregator.remote_write_tls', 'OUTRIDER_ERR_AGG_TLS');
  warnInsecure(tls, log, options.remoteWrite, 'aggregator.remote_write_tls');
  return new Aggregator({ ...options, forwarder: remoteWriteForwarder(tls) });
}

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
  const stop = trapStopSignals(log);
  let agg: Aggregator;
  try {
    agg = aggregatorFrom(config, log);
    await agg.start();
  } catch (err) {
    process.stderr.write(`outrider: ${isOutriderError(err) ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.failure;
  }
  return stopOnSignal(stop, agg, log);
}
