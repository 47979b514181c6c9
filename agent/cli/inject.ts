/**
 * `outrider inject [FILE|-]...`: reads Kubernetes manifests (files, or stdin for `-` or none), adds the Outrider
 * sidecar to every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job and CronJob
 * (also inside `List` kinds), and writes the result to stdout; one line per workload on stderr says what happened.
 */
import { readFileSync } from 'node:fs';
import { ExitCode } from '../core/errors';
import { formatProblem } from '../config/load';
import { annotation, optionsFromConfig, resolveOptions } from '../deploy/inject/options';
import type { TemplateResult } from '../deploy/inject/plan';
import { injectText } from '../deploy/inject/yaml';
import { parseArgs } from './args';
import { configFromArgs } from './config-args';
import { flagHelp } from './help';

export const usage = () => `Usage: outrider inject [flags] [FILE|-]...

Adds the Outrider sidecar container (with its spool volume, probes, ports and pod-identity environment) to the
workloads in the given Kubernetes manifests and prints the result; reads stdin when FILE is - or absent.
Comments and everything else are kept; manifests already injected come out unchanged.

The sidecar runs the pod profile (its own cgroup, StatsD and self-telemetry; host collectors belong to the
DaemonSet), sizes its spool from the volume's sizeLimit so the pod is never evicted for it, has no readiness
probe (it never takes the application out of its Service), and the pod gets prometheus.io scrape annotations
unless it has its own.

  kubectl get deploy web -o yaml | outrider inject - | kubectl apply -f -

Flags (each also settable per workload with an outrider.io/<flag> annotation on the pod template):
  --image=IMAGE              image of the injected container
  --report-to=URL            aggregator the injected agent reports to
  --native-sidecar[=true|false|auto]
                             inject as an init container with restartPolicy Always (Kubernetes 1.29+, stable since 1.33)
  --cpu-request=Q --cpu-limit=Q --memory-request=Q --memory-limit=Q --spool-size-limit=Q
                             resources of the container and sizeLimit of its emptyDir spool
  --config=FILE              Outrider config file holding inject.* defaults

Annotations: ${Object.values(annotation).join(', ')}.
outrider.io/inject: "false" leaves a workload alone; outrider.io/config takes agent config as YAML.

Config keys:
${flagHelp('inject', true)}`;

const own = {
  image: true,
  'report-to': true,
  'native-sidecar': false,
  'cpu-request': true,
  'cpu-limit': true,
  'memory-request': true,
  'memory-limit': true,
  'spool-size-limit': true,
} as const;

function describe(r: TemplateResult): string {
  const what = `${r.kind.toLowerCase()} ${JSON.stringify(r.namespace ? `${r.namespace}/${r.name}` : r.name)}`;
  switch (r.status) {
    case 'injected':
      return `${what} injected${r.native ? ' (native sidecar)' : ''}`;
    case 'already-injected':
      return `${what} already injected; unchanged`;
    case 'disabled':
      return `${what} skipped (${annotation.inject}: "false")`;
    case 'error':
      return `${what} not injected: ${r.problems.join('; ')}`;
  }
}

export async function run(argv: string[], io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const args = parseArgs(argv, { ...own });
  if (args.own.has('help') || args.own.has('h')) {
    stdout.write(usage() + '\n');
    return ExitCode.ok;
  }
  const { config, problems } = configFromArgs(args);
  if (problems.length > 0) {
    for (const p of problems) stderr.write(`outrider inject: bad configuration: ${formatProblem(p)}\n`);
    return ExitCode.badConfig;
  }
  // Flags are checked exactly like the annotations they mirror.
  const flagAnn: Record<string, string> = {};
  for (const name of Object.keys(own)) {
    const v = args.own.get(name)?.at(-1);
    if (v !== undefined) flagAnn[`outrider.io/${name}`] = v;
  }
  const resolved = resolveOptions(optionsFromConfig(config), flagAnn);
  if (resolved.problems.length > 0) {
    for (const p of resolved.problems) stderr.write(`outrider inject: ${p.replace(/^annotation outrider\.io\//, '--')}\n`);
    return ExitCode.badConfig;
  }
  const opts = resolved.options;

  const inputs = args.positionals.length > 0 ? args.positionals : ['-'];
  let failed = false;
  const outputs: string[] = [];
  for (const file of inputs) {
    let text: string;
    try {
      text = file === '-' ? await readAll(io.stdin ?? process.stdin) : readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      stderr.write(`outrider inject: cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message}\n`);
      failed = true;
      continue;
    }
    const r = injectText(text, opts, file === '-' ? '<stdin>' : file);
    for (const e of r.errors) stderr.write(`outrider inject: ${e}\n`);
    for (const res of r.results) {
      stderr.write(describe(res) + '\n');
      if (res.status === 'error') failed = true;
    }
    outputs.push(r.output);
  }
  // Several inputs form one multi-document stream.
  stdout.write(outputs.map((o, i) => (i > 0 && !/^---/.test(o) ? '---\n' + o : o)).join(''));
  return failed ? ExitCode.failure : ExitCode.ok;
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
