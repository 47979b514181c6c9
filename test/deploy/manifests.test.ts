import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { parseArgs } from '../../agent/cli/args';
import { configFromArgs } from '../../agent/cli/config-args';

const dir = join(__dirname, '..', '..', '..', 'config', 'kubernetes');
type K = Record<string, any>;
const objects: K[] = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  for (const d of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
    if (d.errors.length) throw new Error(`${f}: ${d.errors[0]!.message}`);
    const o = d.toJS() as K | null;
    if (o) objects.push({ ...o, __file: f });
  }
}
const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);

t.test('the webhook configuration', async (t) => {
  const mwc = find('MutatingWebhookConfiguration', 'outrider-injector');
  t.ok(mwc);
  const w = mwc!.webhooks[0];
  t.equal(w.failurePolicy, 'Ignore', 'fails open');
  t.equal(w.sideEffects, 'None');
  t.same(w.admissionReviewVersions, ['v1']);
  t.same(w.namespaceSelector.matchLabels, { 'outrider.io/inject': 'enabled' });
  t.equal(w.clientConfig.service.path, '/mutate');
  t.same(w.rules[0].operations, ['CREATE']);
  t.same(w.rules[0].resources, ['pods']);
  t.ok(w.timeoutSeconds <= 10);
  const svc = find('Service', 'outrider-injector')!;
  t.equal(svc.metadata.namespace, w.clientConfig.service.namespace);
  t.equal(svc.spec.ports[0].port, w.clientConfig.service.port);
});

t.test('the injector deployment: args are valid config, minimal rights', async (t) => {
  const dep = find('Deployment', 'outrider-injector')!;
  const pod = dep.spec.template.spec;
  t.equal(pod.automountServiceAccountToken, false, 'no API token');
  t.notOk(objects.some((o) => /Role(Binding)?$/.test(o.kind)), 'no RBAC rules needed');
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

t.test('the node DaemonSet reads the host read-only', async (t) => {
  const ds = objects.find((o) => o.kind === 'DaemonSet')!;
  const pod = ds.spec.template.spec;
  t.equal(pod.hostPID, true);
  t.equal(pod.hostNetwork, true);
  const c = pod.containers[0];
  t.ok(c.args.includes('--path.rootfs=/host'));
  const host = c.volumeMounts.find((m: K) => m.mountPath === '/host');
  t.equal(host.readOnly, true);
  t.equal(host.mountPropagation, 'HostToContainer');
  t.equal(pod.volumes.find((v: K) => v.name === host.name).hostPath.path, '/');
  t.equal(c.securityContext.readOnlyRootFilesystem, true);
  t.equal(c.securityContext.allowPrivilegeEscalation, false);
  t.equal(pod.securityContext.runAsUser, 65532);
  t.ok(c.volumeMounts.some((m: K) => m.mountPath === '/var/lib/outrider'), 'spool volume');
  t.equal(ds.spec.template.metadata.annotations['outrider.io/inject'], 'false');
});
