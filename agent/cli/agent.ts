/**
 * `outrider agent`: runs the agent until SIGTERM/SIGINT; SIGHUP reloads the config file (a bad new config is
 * reported and the old one stays in force). A bad config, a port in use or a missing root path: one clear line on
 * stderr and a non-zero exit.
 */
import { statSync } from 'node:fs';
import { Agent } from '../agent';
import { ExitCode, isOutriderError } from '../core/errors';
import { createLogger } from '../core/log';
import { formatProblem } from '../config/load';
import { CoreOptions, optionsFrom } from '../core/options';
import { parseArgs } from './args';
import { configFromArgs } from './config-args';
import { flagHelp } from './help';
import { loadNative } from './native-status';
import { stopOnSignal, trapStopSignals } from './serve';
import { notifier } from './notify';
import { holdBackOptimizer, leanTiering } from '../core/v8-tiering';

export const usage = () => `Usage: outrider agent [flags]

Runs the agent: host metrics, StatsD, the local /metrics endpoint and reporting, on embedded defaults unless
a config file, OUTRIDER_* environment variables or flags say otherwise (precedence: defaults < file < env < flags).

Common flags:
  --config=FILE
      YAML config file (see config/outrider.yaml for every key). Env: OUTRIDER_CONFIG.
${flagHelp('agent', false)}

Every config key is also a flag: key statsd.flush_interval is --statsd.flush-interval and OUTRIDER_STATSD_FLUSH_INTERVAL.
Run 'outrider agent --help-all' for the full list.`;

function checkRoots(paths: CoreOptions['paths']): string[] {
  const problems: string[] = [];
  for (const [key, p] of [
    ['path.rootfs', paths.rootfs],
    ['path.procfs', paths.procfs],
    ['path.sysfs', paths.sysfs],
  ] as const) {
    try {
      if (!statSync(p).isDirectory()) problems.push(`${key}: ${p} is not a directory`);
    } catch (err) {
      problems.push(`${key}: ${p} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return problems;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { 'help-all': false });
  if (args.own.has('help') || args.own.has('h')) {
    process.stdout.write(usage() + '\n');
    return ExitCode.ok;
  }
  if (args.own.has('help-all')) {
    process.stdout.write(`Usage: outrider agent [flags]\n\nAll flags:\n${flagHelp('agent', true)}\n`);
    return ExitCode.ok;
  }
  const { config, problems, warnings } = configFromArgs(args);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`outrider: bad configuration: ${formatProblem(p)}\n`);
    return ExitCode.badConfig;
  }
  const core = optionsFrom(config);
  const rootProblems = checkRoots(core.paths);
  if (rootProblems.length > 0) {
    for (const p of rootProblems) process.stderr.write(`outrider: ${p}\n`);
    return ExitCode.failure;
  }
  const { plan, error: tieringError } = holdBackOptimizer();
  if (tieringError !== undefined) {
    process.stderr.write(`outrider: ${tieringError}\n`);
    return ExitCode.badConfig;
  }
  const log = createLogger(core.log);
  for (const w of warnings) log.warn(w);
  const native = loadNative(log);
  const agent = new Agent({ config, log, native });
  const notify = notifier(log);
  // Trapped before the start: a signal that arrives while the agent starts stops it once the start is done.
  const stop = trapStopSignals(log);
  let stopping = false;
  void stop.signal.then(() => (stopping = true));
  let started!: () => void;
  let reloading = new Promise<void>((r) => (started = r));
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      if (stopping) return;
      notify.reloading();
      const next = configFromArgs(args);
      if (next.problems.length > 0) {
        for (const p of next.problems) log.error({ key: p.key, where: p.where, expected: p.expected }, `Reload refused: ${formatProblem(p)}`);
        log.error({ problems: next.problems.length }, 'The new configuration is invalid; the old one stays in force.');
        agent.reloadRefused();
      } else {
        try {
          await agent.reload(next.config);
        } catch (err) {
          log.error({ err: err instanceof Error ? err.message : String(err) }, 'Reload failed; the agent keeps running.');
        }
      }
      notify.ready(`serving ${agent.url()}`);
    });
  });
  try {
    await agent.start();
  } catch (err) {
    const msg = isOutriderError(err) ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`outrider: ${msg}\n`);
    return ExitCode.failure;
  }
  // No optimizing compiler until the agent is busy (core/v8-tiering.ts: held back before the agent's modules loaded;
  // watched from here, so the start's own CPU does not count as busy).
  const tiering = leanTiering(plan, {
    onOptimizing: (share) => log.info({ cpuShare: Number(share.toFixed(3)) }, "The agent is busy: V8's optimizing compiler is on."),
  });
  if (!stopping) notify.ready(`serving ${agent.url()}`);
  started();
  return stopOnSignal(stop, agent, log, {
    forceMs: 10_000,
    onStopping: () => {
      tiering.stop();
      notify.stopping();
    },
  });
}
