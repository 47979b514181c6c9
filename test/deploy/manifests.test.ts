/**
 * config/kubernetes: the kustomize base and its overlays, rendered with `kubectl kustomize` (kubectl embeds
 * kustomize), validated against the Kubernetes schemas, and checked for what each component promises.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { parseArgs } from '../../agent/cli/args';
import { configFromArgs } from '../../agent/cli/config-args';
import { injectedLabel, metricsPortName } from '../../agent/deploy/inject/sidecar';
import { haveCommand, requireTool } from '../helpers/tools';
import { validateObject } from './helpers/k8s-schema';

const root = join(__dirname, '..', '..', '..', 'config', 'kubernetes');
type K = Record<string, any>;

/** Every directory holding a kustomization.yaml. */
function kustomizations(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...kustomizations(p));
    else if (e === 'kustomization.yaml') out.push(dir);
  }
  return out.sort();
}

function kustomizeVersion(): string | undefined {
  const r = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as { kustomizeVersion?: string }).kustomizeVersion;
}

function render(dir: string): { objects: K[]; stderr: string } {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${relative(root, dir)} failed: ${r.stderr}`);
  const objects = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K | null)
    .filter((o): o is K => o !== null);
  return { objects, stderr: r.stderr };
}

const have = haveCommand('kubectl', ['version', '--client']);

t.test('kustomize base and overlays', requireTool(have, 'kubectl (kubectl kustomize)'), async (t) => {
  const version = kustomizeVersion();
  // kustomize before v4 (kubectl 1.20 and older) cannot name a directory in `resources`.
  t.ok(version && Number(/^v(\d+)/.exec(version)?.[1]) >= 4, `kubectl embeds kustomize v4 or later (has ${version ?? 'none'})`);
  const dirs = kustomizations(root).map((d) => relative(root, d));
  t.same(dirs, ['base', 'monitoring', 'overlays/aggregator', 'overlays/daemonset', 'overlays/injector', 'overlays/injector-cert-manager']);
  const rendered = new Map<string, K[]>();
  for (const d of dirs) {
    const { objects, stderr } = render(join(root, d));
    t.equal(stderr.trim(), '', `${d}: no warnings`);
    const custom: string[] = [];
    t.same(
      objects.flatMap((o) => validateObject(o, `${d}: `, custom)),
      [],
      `${d}: every object is valid`,
    );
    if (d === 'monitoring')
      t.same(custom, ['monitoring.coreos.com/v1 PodMonitor', 'monitoring.coreos.com/v1 PodMonitor', 'monitoring.coreos.com/v1 PodMonitor', 'monitoring.coreos.com/v1 PrometheusRule']);
    rendered.set(d, objects);
  }
  const find = (d: string, kind: string, name?: string) => rendered.get(d)!.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  for (const d of ['overlays/aggregator', 'overlays/daemonset', 'overlays/injector']) {
    const objs = rendered.get(d)!;
    t.ok(find(d, 'Namespace', 'outrider-system'), `${d}: includes the base's namespace`);
    for (const o of objs) {
      if (o.kind === 'Namespace' || o.kind === 'MutatingWebhookConfiguration') continue;
      t.equal(o.metadata.namespace, 'outrider-system', `${d}: ${o.kind} ${o.metadata.name} in the namespace`);
      t.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'outrider', `${d}: ${o.kind} labelled`);
    }
  }

  await t.test('the webhook configuration', async (t) => {
    const d = 'overlays/injector';
    const w = find(d, 'MutatingWebhookConfiguration', 'outrider-injector')!.webhooks[0];
    t.equal(w.failurePolicy, 'Ignore', 'fails open');
    t.equal(w.sideEffects, 'None');
    t.same(w.admissionReviewVersions, ['v1']);
    t.same(w.namespaceSelector.matchLabels, { 'outrider.io/inject': 'enabled' });
    t.equal(w.clientConfig.service.path, '/mutate');
    t.same(w.rules[0].operations, ['CREATE']);
    t.same(w.rules[0].resources, ['pods']);
    t.ok(w.timeoutSeconds <= 10);
    const svc = find(d, 'Service', 'outrider-injector')!;
    t.equal(svc.metadata.namespace, w.clientConfig.service.namespace);
    t.equal(svc.spec.ports[0].port, w.clientConfig.service.port);
    const cm = rendered.get('overlays/injector-cert-manager')!;
    t.ok(cm.some((o) => o.kind === 'Certificate') && cm.some((o) => o.kind === 'Deployment'), 'the cert-manager overlay is the injector plus its certificate');
  });

  await t.test('the injector deployment: args are valid config, minimal rights', async (t) => {
    const objs = rendered.get('overlays/injector')!;
    const pod = find('overlays/injector', 'Deployment', 'outrider-injector')!.spec.template.spec;
    t.equal(pod.automountServiceAccountToken, false, 'no API token');
    t.notOk(
      objs.some((o) => /Role(Binding)?$/.test(o.kind)),
      'no RBAC rules needed',
    );
    const c = pod.containers[0];
    t.equal(c.args[0], 'injector');
    const { problems } = configFromArgs(parseArgs(c.args.slice(1)), {});
    t.same(problems, [], 'every flag names a config key');
    t.equal(c.livenessProbe.httpGet.scheme, 'HTTPS');
    t.equal(c.livenessProbe.httpGet.path, '/healthz');
    t.equal(c.securityContext.readOnlyRootFilesystem, true);
    t.same(c.securityContext.capabilities.drop, ['ALL']);
    t.equal(pod.securityContext.runAsNonRoot, true);
    const mount = c.volumeMounts.find((m: K) => m.name === 'tls');
    t.ok(c.args.includes(`--injector.tls-cert=${mount.mountPath}/tls.crt`));
  });

  await t.test('the node DaemonSet reads the host read-only', async (t) => {
    const ds = find('overlays/daemonset', 'DaemonSet')!;
    const pod = ds.spec.template.spec;
    t.equal(pod.hostPID, true);
    t.equal(pod.hostNetwork, true);
    const c = pod.containers[0];
    t.ok(c.args.includes('--path.rootfs=/host'));
    t.same(configFromArgs(parseArgs(c.args.slice(1)), {}).problems, []);
    const host = c.volumeMounts.find((m: K) => m.mountPath === '/host');
    t.equal(host.readOnly, true);
    t.equal(host.mountPropagation, 'HostToContainer');
    t.equal(pod.volumes.find((v: K) => v.name === host.name).hostPath.path, '/');
    t.equal(c.securityContext.readOnlyRootFilesystem, true);
    t.equal(c.securityContext.allowPrivilegeEscalation, false);
    t.equal(pod.securityContext.runAsUser, 65532);
    t.ok(
      c.volumeMounts.some((m: K) => m.mountPath === '/var/lib/outrider'),
      'spool volume',
    );
    t.equal(ds.spec.template.metadata.annotations['outrider.io/inject'], 'false');
    t.equal(ds.spec.template.metadata.annotations['prometheus.io/port'], '9477');
  });

  await t.test('the aggregator: tokens from a Secret, state on a volume claim', async (t) => {
    const sts = find('overlays/aggregator', 'StatefulSet', 'outrider-aggregator')!;
    const pod = sts.spec.template.spec;
    const c = pod.containers[0];
    t.equal(c.args[0], 'aggregator');
    t.same(configFromArgs(parseArgs(c.args.slice(1)), {}).problems, [], 'every flag names a config key');
    const tokens = c.volumeMounts.find((m: K) => m.name === 'tokens');
    t.ok(c.args.includes(`--tokens-file=${tokens.mountPath}/tokens`));
    t.equal(pod.volumes.find((v: K) => v.name === 'tokens').secret.secretName, 'outrider-aggregator-tokens');
    const state = c.volumeMounts.find((m: K) => m.name === 'state');
    t.ok(c.args.includes(`--state-dir=${state.mountPath}`));
    t.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'state');
    t.equal(c.env.find((e: K) => e.name === 'NODE_OPTIONS').value, '', "V8's default young generation for the aggregator");
    t.equal(c.env.find((e: K) => e.name === 'MALLOC_ARENA_MAX').value, '', "glibc's default malloc arenas for the aggregator");
    t.equal(c.env.find((e: K) => e.name === 'GLIBC_TUNABLES').value, '', "glibc's default mmap threshold for the aggregator");
    const svc = find('overlays/aggregator', 'Service', 'outrider-aggregator')!;
    t.equal(svc.spec.ports[0].targetPort, c.ports[0].name);
    t.equal(sts.spec.template.metadata.annotations['outrider.io/inject'], 'false');
  });

  await t.test('the PrometheusRule carries exactly the rules of config/prometheus', async (t) => {
    const rule = rendered.get('monitoring')!.find((o) => o.kind === 'PrometheusRule')!;
    const file = parse(readFileSync(join(root, '..', 'prometheus', 'outrider-alerts.yml'), 'utf8')) as K;
    t.same(rule.spec.groups, file.groups);
    t.equal(rule.metadata.namespace, 'outrider-system');
  });

  await t.test('PodMonitors select what the injection and the overlays label', async (t) => {
    const pms = rendered.get('monitoring')!;
    const side = pms.find((p) => p.metadata.name === 'outrider-sidecars')!;
    t.same(side.spec.selector.matchLabels, { [injectedLabel.name]: injectedLabel.value });
    t.equal(side.spec.namespaceSelector.any, true);
    t.equal(side.spec.podMetricsEndpoints[0].port, metricsPortName);
    const node = pms.find((p) => p.metadata.name === 'outrider-node')!;
    const ds = find('overlays/daemonset', 'DaemonSet')!;
    t.same(node.spec.selector.matchLabels, ds.spec.selector.matchLabels);
    t.ok(ds.spec.template.spec.containers[0].ports.some((p: K) => p.name === node.spec.podMetricsEndpoints[0].port));
    const agg = pms.find((p) => p.metadata.name === 'outrider-aggregator')!;
    const sts = find('overlays/aggregator', 'StatefulSet')!;
    t.same(agg.spec.selector.matchLabels, sts.spec.selector.matchLabels);
    t.ok(sts.spec.template.spec.containers[0].ports.some((p: K) => p.name === agg.spec.podMetricsEndpoints[0].port));
  });
});
