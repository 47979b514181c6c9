import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { parse } from 'yaml';
import { Config } from '../../agent/config/config';
import { silentLogger } from '../../agent/core/log';
import { handleReview, pointer } from '../../agent/deploy/injector/admission';
import { optionsFrom as injectorOptionsFrom } from '../../agent/deploy/injector/options';
import { Injector } from '../../agent/deploy/injector/server';
import { optionsFromConfig } from '../../agent/deploy/inject/options';
import { injectText } from '../../agent/deploy/inject/yaml';
import { fixtures } from './helpers/golden';
import { applyPatch } from './helpers/json-patch';
import { haveOpenssl, makeCert } from './helpers/tls';
import { agentKeys } from '../../agent/keys';

const image = 'ghcr.io/outrider/outrider:test';
const inCI = process.env.CI === 'true';

function review(object: unknown, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: '',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'u', groups: ['system:serviceaccounts'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      ...extra,
    },
  };
}

function post(url: string, ca: Buffer, body: string | Buffer): Promise<{ status: number; json: any; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json, cn: String(cert.subject?.CN ?? '') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(url: string, ca: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, agent: false }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      })
      .on('error', reject);
  });
}

t.test('JSON pointers escape ~ and /', async (t) => {
  t.equal(pointer(['metadata', 'annotations', 'outrider.io/inject']), '/metadata/annotations/outrider.io~1inject');
  t.equal(pointer(['a~b', 0, '-']), '/a~0b/0/-');
});

t.test('reviews without a server: fail open, never throw', async (t) => {
  const opts = optionsFromConfig(Config.defaults(agentKeys));
  for (const body of ['not json', '[]', '{}', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', request: {} }), '\u0000\u0001']) {
    const r = handleReview(body, opts);
    const resp = r.review.response as { allowed: boolean; warnings: string[]; patch?: string };
    t.equal(resp.allowed, true, `allowed: ${body.slice(0, 20)}`);
    t.ok(resp.warnings.length > 0, 'with a warning');
    t.notOk(resp.patch);
  }
  const old = handleReview(JSON.stringify({ ...review({}), apiVersion: 'admission.k8s.io/v1beta1' }), opts);
  t.equal((old.review.response as { uid: string }).uid, '705ab4f5-6393-11e8-b7cc-42010a800002', 'uid echoed even when refusing the version');
  const upd = handleReview(JSON.stringify(review({ spec: { containers: [] } }, { operation: 'UPDATE' })), opts);
  t.equal(upd.outcome, 'ignored');
  const weird = handleReview(JSON.stringify(review({ kind: 'Pod', spec: 'nope' })), opts);
  t.equal((weird.review.response as { allowed: boolean }).allowed, true);
  t.equal(weird.outcome, 'error');
});

t.test('injector over HTTPS', { skip: !haveOpenssl() && !inCI ? 'openssl is not installed' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-injector-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = makeCert(dir, 'serving', 'injector-one');
  const config = Config.defaults(agentKeys).with({
    'injector.listen': '127.0.0.1:0',
    'injector.tls_cert': first.cert,
    'injector.tls_key': first.key,
    'injector.max_body': 64 * 1024,
    'inject.image': image,
  });
  const injector = new Injector({ options: injectorOptionsFrom(config), log: silentLogger() });
  await injector.start();
  t.teardown(() => injector.stop());
  const url = injector.url()!;
  let ca = readFileSync(first.cert);

  t.equal((await get(`${url}/healthz`, ca)).status, 200, '/healthz');

  const podYaml = readFileSync(join(fixtures, 'inject', 'pod.in.yaml'), 'utf8');
  const pod = parse(podYaml);

  await t.test('a pod gets the same container as from the CLI', async (t) => {
    const r = await post(`${url}/mutate`, ca, JSON.stringify(review(pod)));
    t.equal(r.status, 200);
    t.equal(r.json.apiVersion, 'admission.k8s.io/v1');
    t.equal(r.json.kind, 'AdmissionReview');
    t.equal(r.json.response.uid, '705ab4f5-6393-11e8-b7cc-42010a800002');
    t.equal(r.json.response.allowed, true);
    t.equal(r.json.response.patchType, 'JSONPatch');
    const ops = JSON.parse(Buffer.from(r.json.response.patch, 'base64').toString());
    for (const op of ops) t.match(op.path, /^\/(spec\/|metadata\/(labels|annotations)(\/|$))/);
    t.ok(
      ops.some((o: { path: string }) => o.path === '/metadata/labels/outrider.io~1injected'),
      'JSON Pointer escapes the / of label keys',
    );
    const patched = applyPatch(pod, ops) as any;
    const cli = parse(injectText(podYaml, optionsFromConfig(config)).output);
    t.same(patched, cli, 'patched object equals the CLI output');
    t.same(
      patched.spec.containers.find((c: { name: string }) => c.name === 'outrider'),
      cli.spec.containers.find((c: { name: string }) => c.name === 'outrider'),
    );

    const again = await post(`${url}/mutate`, ca, JSON.stringify(review(patched)));
    t.equal(again.json.response.allowed, true);
    t.notOk(again.json.response.patch, 'never injects twice');
  });

  await t.test('a deployment (workload rules) and a job (native sidecar)', async (t) => {
    for (const f of ['deployment.in.yaml', 'job.in.yaml', 'cronjob.in.yaml', 'multi.in.yaml']) {
      const text = readFileSync(join(fixtures, 'inject', f), 'utf8');
      const obj = f === 'multi.in.yaml' ? parse(text.split('\n---\n')[1]!) : parse(text);
      const r = await post(`${url}/mutate`, ca, JSON.stringify(review(obj)));
      const ops = JSON.parse(Buffer.from(r.json.response.patch, 'base64').toString());
      const cli = parse(injectText(f === 'multi.in.yaml' ? text.split('\n---\n')[1]! : text, optionsFromConfig(config)).output);
      t.same(applyPatch(obj, ops), cli, `${f}: same as the CLI`);
    }
  });

  await t.test('opted-out pods and dry runs', async (t) => {
    const off = structuredClone(pod);
    off.metadata.annotations = { 'outrider.io/inject': 'false' };
    const r = await post(`${url}/mutate`, ca, JSON.stringify(review(off)));
    t.equal(r.json.response.allowed, true);
    t.notOk(r.json.response.patch);
    const dry = await post(`${url}/mutate`, ca, JSON.stringify(review(pod, { dryRun: true })));
    t.ok(dry.json.response.patch, 'a dry run gets the patch it would get (no side effects to skip)');
    const metrics = await get(`${url}/metrics`, ca);
    t.match(metrics.text, /outrider_injector_reviews_total\{outcome="injected",dry_run="true"\} 1/);
    t.match(metrics.text, /outrider_injector_reviews_total\{outcome="disabled",dry_run="false"\} 1/);
  });

  await t.test('malformed and oversized reviews get an allowed response with a warning', async (t) => {
    for (const body of ['{"apiVersion":', 'null', JSON.stringify({ kind: 'AdmissionReview' })]) {
      const r = await post(`${url}/mutate`, ca, body);
      t.equal(r.status, 200);
      t.equal(r.json.response.allowed, true);
      t.ok(r.json.response.warnings?.[0], 'warning');
    }
    const big = JSON.stringify(review({ ...pod, metadata: { ...pod.metadata, annotations: { x: 'y'.repeat(100 * 1024) } } }));
    const r = await post(`${url}/mutate`, ca, big);
    t.equal(r.json.response.allowed, true);
    t.match(r.json.response.warnings[0], 'larger than');
    t.equal((await get(`${url}/healthz`, ca)).status, 200, 'still serving');
  });

  await t.test('the certificate is reloaded when the files change', async (t) => {
    t.equal((await get(`${url}/healthz`, ca)).status, 200);
    const before = await post(`${url}/mutate`, ca, '{}');
    t.equal(before.cn, 'injector-one');
    const next = makeCert(dir, 'next', 'injector-two');
    renameSync(next.key, first.key);
    renameSync(next.cert, first.cert);
    t.ok(injector.checkCertificate(), 'change noticed');
    ca = readFileSync(first.cert);
    const after = await post(`${url}/mutate`, ca, '{}');
    t.equal(after.cn, 'injector-two', 'new connections get the new certificate');
  });
});

t.test('outrider injector exits 1 with one clear line when the certificate is missing', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const repo = join(__dirname, '..', '..', '..');
  const r = spawnSync(
    process.execPath,
    [join(repo, 'bin', 'outrider.js'), 'injector', '--injector.listen=127.0.0.1:0', '--injector.tls-cert=/nonexistent/tls.crt', '--injector.tls-key=/nonexistent/tls.key'],
    { encoding: 'utf8', timeout: 20_000 },
  );
  t.equal(r.status, 1);
  t.match(r.stderr, /cannot read the TLS certificate or key/);
});

t.test('the webhook mounts the token Secret and points report.token_file at it', async (t) => {
  const opts = optionsFromConfig(Config.defaults(agentKeys).with({ 'inject.report_to': 'https://agg.example:9478', 'inject.token_secret': 'outrider-token' }));
  const r = handleReview(JSON.stringify(review({ metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'x' }] } })), opts);
  const resp = r.review.response as { allowed: boolean; patch?: string };
  t.equal(r.outcome, 'injected');
  const ops = JSON.parse(Buffer.from(resp.patch!, 'base64').toString()) as Array<{ path: string; value: Record<string, unknown> }>;
  const container = ops.find((o) => o.path === '/spec/containers/-')!.value as { args: string[]; volumeMounts: Array<{ name: string; readOnly?: boolean }> };
  t.ok(container.args.includes('--report-token-file=/etc/outrider/token/token'));
  t.same(
    container.volumeMounts.find((m) => m.name === 'outrider-token'),
    { name: 'outrider-token', mountPath: '/etc/outrider/token', readOnly: true },
  );
  const volume = ops.find((o) => o.path === '/spec/volumes/-' && (o.value as { name: string }).name === 'outrider-token');
  t.same(volume?.value, { name: 'outrider-token', secret: { secretName: 'outrider-token', items: [{ key: 'token', path: 'token' }] } });
  const clear = handleReview(
    JSON.stringify(review({ metadata: { name: 'p', annotations: { 'outrider.io/report-to': 'http://agg.example:9478' } }, spec: { containers: [{ name: 'app', image: 'x' }] } })),
    opts,
  );
  t.equal(clear.outcome, 'error', 'a plain-http report-to with a token is not injected');
  t.equal((clear.review.response as { allowed: boolean }).allowed, true, 'but the pod is admitted');
});
