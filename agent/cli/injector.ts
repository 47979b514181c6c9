/**
 * `outrider injector`: the sidecar injection of `outrider inject` as a Kubernetes mutating admission webhook
 * (HTTPS, POST /mutate). Runs until SIGTERM/SIGINT. See config/kubernetes/overlays/injector and docs/deploy.md.
 */
import { ExitCode, isOutriderError } from '../core/errors';
import { createLogger } from '../core/log';
import { formatProblem } from '../config/load';
import { optionsFrom as coreOptionsFrom } from '../core/options';
import { optionsFrom } from '../deploy/injector/options';
import { Injector, mutatePath } from '../deploy/injector/server';
import { parseArgs } from './args';
import { configFromArgs } from './config-args';
import { flagHelp } from './help';
import { stopOnSignal, trapStopSignals } from './serve';

export const usage = () => `Usage: outrider injector [flags]

Serves the Outrider sidecar injection as a mutating admission webhook: HTTPS on injector.listen, AdmissionReview
admission.k8s.io/v1 on POST ${mutatePath}, /healthz, /readyz and /metrics. The certificate and key files are
re-read when they change. It fails open: anything it cannot handle is admitted unchanged, with a warning.

Flags:
${flagHelp('injector', true)}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.own.has('help') || args.own.has('h')) {
    process.stdout.write(usage() + '\n');
    return ExitCode.ok;
  }
  const { config, problems, warnings } = configFromArgs(args);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`outrider injector: bad configuration: ${formatProblem(p)}\n`);
    return ExitCode.badConfig;
  }
  const log = createLogger({ ...coreOptionsFrom(config).log, name: 'outrider-injector' });
  for (const w of warnings) log.warn(w);
  const injector = new Injector({ options: optionsFrom(config), log });
  const stop = trapStopSignals(log);
  try {
    await injector.start();
  } catch (err) {
    process.stderr.write(`outrider injector: ${isOutriderError(err) || err instanceof Error ? err.message : String(err)}\n`);
    await injector.stop();
    return ExitCode.failure;
  }
  return stopOnSignal(stop, injector, log);
}
