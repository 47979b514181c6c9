import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { run } from '../../agent/cli/inject';
import { Config } from '../../agent/config/config';
import { configFlags, optionsFromConfig } from '../../agent/deploy/inject/options';
import { injectableKinds } from '../../agent/deploy/inject/plan';
import { injectText } from '../../agent/deploy/inject/yaml';
import { Capture, fixtures, golden } from './helpers/golden';
import { agentKeys } from '../../agent/keys';

const dir = join(fixtures, 'inject');
const image = '--image=ghcr.io/outrider/outrider:test';

async function inject(args: string[], stdinText?: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io = { stdout, stderr, ...(stdinText !== undefined ? { stdin: Readable.from([Buffer.from(stdinText)]) } : {}) };
  const code = await run([image, ...args], io);
  return { code, out: stdout.text, err: stderr.text };
}

const inputs = readdirSync(dir)
  .filter((f) => /\.in\.(yaml|json)$/.test(f))
  .sort();

t.test('golden manifests: every fixture injects as recorded', async (t) => {
  t.ok(inputs.length >= 12, 'fixtures present');
  const bases = inputs.map((f) => f.replace(/\.in\.(yaml|json)$/, ''));
  t.equal(new Set(bases).size, bases.length, 'fixture names are unique without their extension');
  for (const input of inputs) {
    const base = input.replace(/\.in\.(yaml|json)$/, '');
    const ext = input.endsWith('.json') ? 'json' : 'yaml';
    const flagsFile = join(dir, `${base}.flags`);
    const flags = existsSync(flagsFile) ? readFileSync(flagsFile, 'utf8').split('\n').filter(Boolean) : [];
    const r = await inject([...flags, join(dir, input)]);
    const out = golden(join(dir, `${base}.out.${ext}`), r.out);
    const err = golden(join(dir, `${base}.stderr.txt`), `exit ${r.code}\n${r.err}`);
    t.equal(r.out, out, `${input}: output matches ${base}.out.${ext}`);
    t.equal(`exit ${r.code}\n${r.err}`, err, `${input}: exit code and summary match ${base}.stderr.txt`);
  }
});

t.test('idempotent: injecting an injected manifest changes nothing, byte for byte', async (t) => {
  for (const input of inputs) {
    const base = input.replace(/\.in\.(yaml|json)$/, '');
    const ext = input.endsWith('.json') ? 'json' : 'yaml';
    const flagsFile = join(dir, `${base}.flags`);
    const flags = existsSync(flagsFile) ? readFileSync(flagsFile, 'utf8').split('\n').filter(Boolean) : [];
    const once = await inject([...flags, join(dir, input)]);
    const twice = await inject([...flags, '-'], once.out);
    t.equal(twice.out, once.out, `${base}.${ext} is a fixed point`);
    t.notMatch(twice.err, / injected(\s|$)/, `${base}: nothing injected the second time`);
  }
});

t.test('comments survive injection', async (t) => {
  const dep = await inject([join(dir, 'deployment.in.yaml')]);
  t.match(dep.out, "# Workload-level annotation: the pod template's own annotations win over these.");
  t.match(dep.out, "# The app's own volume stays first.");
  const pod = await inject([join(dir, 'pod.in.yaml')]);
  t.match(pod.out, '# A bare pod: the sidecar is appended to its containers.');
  t.match(pod.out, 'app: hello # keep me');
  const cron = await inject([join(dir, 'cronjob.in.yaml')]);
  t.match(cron.out, '# every quarter hour');
});

t.test('every workload kind gets the container; other kinds are left alone', async (t) => {
  const seen = new Set<string>();
  for (const input of inputs.filter((f) => f.endsWith('.yaml'))) {
    const r = await inject([join(dir, input)]);
    for (const doc of parseAllDocuments(r.out)) {
      const walk = (o: Record<string, any>) => {
        if (o?.kind === 'List') return o.items.forEach(walk);
        const tpl = o?.kind === 'Pod' ? o : o?.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o?.spec?.template;
        if (!tpl?.spec) return;
        const all = [...(tpl.spec.containers ?? []), ...(tpl.spec.initContainers ?? [])];
        if (all.some((c: { name: string }) => c.name === 'outrider')) seen.add(o.kind);
      };
      walk(doc.toJS());
    }
  }
  for (const k of ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']) t.ok(seen.has(k), `${k} injected`);
  t.ok(injectableKinds.includes('ReplicationController'));
  const svc = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n';
  t.equal((await inject(['-'], svc)).out, svc);
});

t.test('the injected container carries the contract', async (t) => {
  const r = await inject([join(dir, 'pod.in.yaml')]);
  const pod = parse(r.out);
  const c = pod.spec.containers.find((x: { name: string }) => x.name === 'outrider');
  t.same(c.args.slice(0, 4), ['agent', '--listen=0.0.0.0:9477', '--statsd.listen=udp://127.0.0.1:8125', '--collectors.enabled=cgroup']);
  t.same(c.ports, [
    { name: 'outrider-metric', containerPort: 9477, protocol: 'TCP' },
    { name: 'outrider-statsd', containerPort: 8125, protocol: 'UDP' },
  ]);
  for (const p of c.ports) t.ok(p.name.length <= 15, 'port names are IANA service names');
  t.equal(c.livenessProbe.httpGet.path, '/healthz');
  t.equal(c.startupProbe.httpGet.path, '/healthz');
  t.equal(c.readinessProbe, undefined, "the sidecar's readiness never gates the pod");
  t.same(
    c.env.map((e: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }) => [e.name, e.valueFrom.fieldRef.fieldPath]),
    [
      ['OUTRIDER_POD_NAME', 'metadata.name'],
      ['OUTRIDER_POD_NAMESPACE', 'metadata.namespace'],
      ['OUTRIDER_NODE_NAME', 'spec.nodeName'],
      ['OUTRIDER_POD_UID', 'metadata.uid'],
      // The pod's Prometheus annotations, so the sidecar scrapes an annotated application with no config.
      ['OUTRIDER_SCRAPE_ANNOTATIONS_SCRAPE', "metadata.annotations['prometheus.io/scrape']"],
      ['OUTRIDER_SCRAPE_ANNOTATIONS_PORT', "metadata.annotations['prometheus.io/port']"],
      ['OUTRIDER_SCRAPE_ANNOTATIONS_PATH', "metadata.annotations['prometheus.io/path']"],
      ['OUTRIDER_SCRAPE_ANNOTATIONS_SCHEME', "metadata.annotations['prometheus.io/scheme']"],
    ],
  );
  t.same(c.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  t.same(c.volumeMounts, [{ name: 'outrider-spool', mountPath: '/var/lib/outrider' }]);
  t.same(pod.spec.volumes, [{ name: 'outrider-spool', emptyDir: { sizeLimit: '256Mi' } }]);
  t.ok(c.resources.requests.cpu && c.resources.limits.memory);
});

t.test('native sidecar: first init container with restartPolicy Always', async (t) => {
  const job = parse((await inject([join(dir, 'job.in.yaml')])).out);
  const init = job.spec.template.spec.initContainers;
  t.equal(init[0].name, 'outrider');
  t.equal(init[0].restartPolicy, 'Always');
  t.equal(init[1].name, 'wait-for-db');
  t.equal(init[0].startupProbe, undefined, "no startupProbe: the app's containers would wait for it");
  t.equal(init[0].readinessProbe, undefined);
  t.equal(init[0].livenessProbe.httpGet.path, '/healthz');
  t.notOk(job.spec.template.spec.containers.some((c: { name: string }) => c.name === 'outrider'));
  const plain = parse((await inject(['--native-sidecar=false', join(dir, 'job.in.yaml')])).out);
  t.ok(
    plain.spec.template.spec.containers.some((c: { name: string }) => c.name === 'outrider'),
    '--native-sidecar=false forces a plain sidecar',
  );
});

t.test('bad flags and bad annotations are reported', async (t) => {
  const bad = await inject(['--memory-limit=lots', '-'], 'kind: Pod\n');
  t.equal(bad.code, 2);
  t.match(bad.err, '--memory-limit');
  const ann = await inject([join(dir, 'bad-annotation.in.yaml')]);
  t.equal(ann.code, 1);
  t.equal(ann.out, readFileSync(join(dir, 'bad-annotation.in.yaml'), 'utf8'), 'the workload is left unchanged');
  t.match(ann.err, 'outrider.io/memory-limit');
  const missing = await inject([join(dir, 'no-such-file.yaml')]);
  t.equal(missing.code, 1);
  t.match(missing.err, 'no such file');
});

t.test('invalid YAML is copied through and reported', async (t) => {
  const text = 'kind: Pod\nspec: [unclosed\n';
  const r = injectText(text, optionsFromConfig(Config.defaults(agentKeys)), 'x.yaml');
  t.equal(r.output, text);
  t.equal(r.errors.length, 1);
});

t.test('outrider.io/config becomes flags', async (t) => {
  t.same(configFlags('log_level: debug\nstatsd:\n  flush_interval: 5s\nlist: [a, b]\n').flags, ['--log-level=debug', '--statsd.flush-interval=5s', '--list=a', '--list=b']);
  t.match(configFlags('[1, 2]').problem, 'map');
  t.match(configFlags('Bad-Key: 1').problem, 'not a config key');
  t.match(configFlags('a: {b: [ {c: 1} ]}').problem, 'scalars');
});

t.test('documents that cannot be edited safely are left alone', async (t) => {
  const opts = optionsFromConfig(Config.defaults(agentKeys));
  const aliased = 'kind: Pod\nmetadata: {name: a}\nx: &c\n  - name: app\n    image: i\nspec:\n  containers: *c\n';
  const r = injectText(aliased, opts, 'a.yaml');
  t.equal(r.output, aliased, 'an aliased containers list is not rewritten');
  t.equal(r.errors.length, 1);
  t.equal(r.results[0]!.status, 'error');
  const host = 'kind: Pod\nmetadata: {name: h}\nspec:\n  hostNetwork: true\n  containers:\n  - name: app\n    image: i\n';
  const h = injectText(host, opts, 'h.yaml');
  t.equal(h.output, host, 'hostNetwork pods are not injected');
  t.match(h.results[0]!.problems[0], 'hostNetwork');
});

t.test('no file argument reads stdin', async (t) => {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await run([image], { stdout, stderr, stdin: Readable.from([Buffer.from(readFileSync(join(dir, 'pod.in.yaml')))]) });
  t.equal(code, 0);
  t.equal(stdout.text, readFileSync(join(dir, 'pod.out.yaml'), 'utf8'));
});

t.test('several files form one stream', async (t) => {
  const r = await inject([join(dir, 'pod.in.yaml'), join(dir, 'daemonset.in.yaml')]);
  t.equal(r.out, readFileSync(join(dir, 'pod.out.yaml'), 'utf8') + '---\n' + readFileSync(join(dir, 'daemonset.out.yaml'), 'utf8'));
  t.equal(parseAllDocuments(r.out).length, 2);
});

t.test('the injected args are flags the agent accepts', async (t) => {
  const { parseArgs } = await import('../../agent/cli/args');
  const { configFromArgs } = await import('../../agent/cli/config-args');
  const flagToKey = (f: string) => agentKeys.flagToKey(f);
  const { sidecarArgs } = await import('../../agent/deploy/inject/sidecar');
  const args = sidecarArgs({ ...optionsFromConfig(Config.defaults(agentKeys)), reportTo: 'http://aggregator:9478' });
  t.equal(args[0], 'agent');
  const { problems, config } = configFromArgs(parseArgs(args.slice(1)), {});
  // statsd.listen and the report-to alias belong to the StatsD and reporting features; where those are part of
  // the build, every flag must be accepted.
  const pending = ['--statsd.listen', '--report-to'].filter((f) => flagToKey(f.slice(2)) === undefined);
  t.same(
    problems.filter((p) => !pending.includes(p.key)),
    [],
    `accepted (pending features: ${pending.join(', ') || 'none'})`,
  );
  t.equal(config.string('listen'), '0.0.0.0:9477');
});
