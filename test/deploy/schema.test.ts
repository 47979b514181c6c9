/**
 * Injected output validates against the Kubernetes schemas: every golden fixture, real-world-shaped manifests
 * (Deployment, StatefulSet, DaemonSet, Job, CronJob, a List, a pod with init containers), and the pods the
 * admission webhook patches.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { Config } from '../../agent/config/config';
import { handleReview } from '../../agent/deploy/injector/admission';
import { optionsFromConfig } from '../../agent/deploy/inject/options';
import { injectText } from '../../agent/deploy/inject/yaml';
import { fixtures } from './helpers/golden';
import { applyPatch } from './helpers/json-patch';
import { podSpecs, strictInjected, validateObject } from './helpers/k8s-schema';
import { agentKeys } from '../../agent/keys';

type K = Record<string, any>;
const opts = { ...optionsFromConfig(Config.defaults(agentKeys)), image: 'ghcr.io/outrider/outrider:test', reportTo: 'http://outrider-aggregator.outrider-system:9478' };

function docsOf(text: string, json: boolean): K[] {
  if (json) return [JSON.parse(text) as K];
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K | null)
    .filter((d): d is K => d !== null);
}

t.test('the schema check bites', async (t) => {
  const good: K = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  t.same(validateObject(good), []);
  t.not(validateObject({ ...good, spec: { containers: [{ name: 'c', resources: { limits: { memory: 'lots' } } }] } }).length, 0, 'a bad quantity');
  t.not(validateObject({ ...good, spec: {} }).length, 0, 'no containers');
  t.not(validateObject({ ...good, kind: 'Pot' }).length, 0, 'an unknown kind');
  const spec = parse(injectText(JSON.stringify(good), opts).output).spec;
  t.same(strictInjected(spec), []);
  spec.containers[1].livenessProbe.httpget = spec.containers[1].livenessProbe.httpGet;
  spec.containers[1].readinesProbe = {};
  t.equal(strictInjected(spec).length, 2, 'misspelt fields are found');
});

const cases: Array<{ name: string; text: string; json: boolean }> = [];
const goldenDir = join(fixtures, 'inject');
for (const f of readdirSync(goldenDir)
  .filter((f) => /\.in\.(yaml|json)$/.test(f))
  .sort()) {
  cases.push({ name: `inject/${f}`, text: readFileSync(join(goldenDir, f), 'utf8'), json: f.endsWith('.json') });
}
const realDir = join(fixtures, 'realworld');
for (const f of readdirSync(realDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()) {
  cases.push({ name: `realworld/${f}`, text: readFileSync(join(realDir, f), 'utf8'), json: false });
}

t.test('every fixture, before and after injection, is valid', async (t) => {
  t.ok(cases.length >= 20);
  const kinds = new Set<string>();
  for (const c of cases) {
    const before = docsOf(c.text, c.json);
    t.same(
      before.flatMap((d) => validateObject(d)),
      [],
      `${c.name}: input is valid`,
    );
    const r = injectText(c.text, opts, c.name);
    const after = docsOf(r.output, c.json);
    t.same(
      after.flatMap((d) => validateObject(d)),
      [],
      `${c.name}: output is valid`,
    );
    for (const [i, res] of r.results.entries()) {
      if (res.status !== 'injected') continue;
      kinds.add(res.kind);
      void i;
    }
    for (const d of after) {
      for (const spec of podSpecs(d)) {
        if ([...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((x: K) => x.name === 'outrider')) t.same(strictInjected(spec), [], `${c.name}: injected fields are schema fields`);
      }
    }
  }
  for (const k of ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']) t.ok(kinds.has(k), `${k} injected and validated`);
});

t.test('the real-world manifests inject as expected', async (t) => {
  const one = (f: string) => {
    const r = injectText(readFileSync(join(realDir, f), 'utf8'), opts, f);
    return { r, docs: docsOf(r.output, false) };
  };
  const sts = one('statefulset.yaml').docs.find((d) => d.kind === 'StatefulSet')!;
  const tpl = sts.spec.template;
  t.same(tpl.metadata.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9187' }, "the exporter's scrape annotations stay");
  const c = tpl.spec.containers.find((x: K) => x.name === 'outrider');
  t.equal(c.resources.limits['ephemeral-storage'], '320Mi', 'ephemeral-storage limit next to the app’s');
  t.same(sts.spec.volumeClaimTemplates[0].metadata.name, 'data');

  const job = one('job.yaml').docs[0]!;
  const init = job.spec.template.spec.initContainers[0];
  t.equal(init.name, 'outrider');
  t.equal(init.restartPolicy, 'Always');
  t.ok(init.args.includes('--spool.max-size=968MiB'), "the job's own 1Gi spool volume sets the budget");
  t.ok(init.args.includes('--report-to=http://outrider-aggregator.outrider-system:9478'));
  t.equal(job.spec.template.spec.volumes.length, 1, 'its volume is kept, not duplicated');

  const cron = one('cronjob.yaml').docs[0]!;
  const cs = cron.spec.jobTemplate.spec.template.spec;
  t.same(cs.volumes, [{ name: 'outrider-spool', emptyDir: { sizeLimit: '64Mi' } }]);
  t.ok(cs.initContainers[0].args.includes('--spool.max-size=46MiB'));

  const pod = one('pod-init.yaml').docs[0]!;
  t.same(
    pod.spec.initContainers.map((x: K) => x.name),
    ['migrate', 'proxy'],
    'restartPolicy Always: a plain sidecar, init containers untouched',
  );
  t.ok(pod.spec.containers.some((x: K) => x.name === 'outrider'));

  const list = one('list.yaml');
  t.same(
    list.r.results.map((x) => `${x.kind}/${x.name}/${x.status}`),
    ['Deployment/api/injected'],
  );
});

t.test('pods patched by the admission webhook are valid', async (t) => {
  for (const c of cases) {
    for (const d of docsOf(c.text, c.json)) {
      for (const spec of podSpecs(d)) {
        const podObj: K = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: structuredClone(spec) };
        const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u1', operation: 'CREATE', kind: { group: '', version: 'v1', kind: 'Pod' }, object: podObj } };
        const r = handleReview(JSON.stringify(review), opts);
        if (!r.patch) continue;
        const patched = applyPatch(structuredClone(podObj), r.patch) as K;
        t.same(validateObject(patched), [], `${c.name}: patched pod is valid`);
        t.same(strictInjected(patched.spec), [], `${c.name}: patched fields are schema fields`);
      }
    }
  }
});
