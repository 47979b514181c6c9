/**
 * The injected sidecar never harms its pod: its profile leaves host-wide collectors to the DaemonSet, its spool fits
 * its volume, its readiness is not the pod's, the pod is scraped without losing the application's own annotations.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { Test } from 'tap';
import { parse } from 'yaml';
import { Config } from '../../agent/config/config';
import { optionsFromConfig } from '../../agent/deploy/inject/options';
import { KiB, MiB, minSizeLimitBytes, quantityBytes, quarantineRecords, spoolBudget } from '../../agent/deploy/inject/spool-budget';
import { injectText } from '../../agent/deploy/inject/yaml';
import { start } from '../e2e/procs';
import { parseExposition } from '../helpers/prom-parse';
import { fixtures } from './helpers/golden';
import { agentKeys } from '../../agent/keys';

type K = Record<string, any>;
const opts = { ...optionsFromConfig(Config.defaults(agentKeys)), image: 'ghcr.io/outrider/outrider:test' };
const inject = (yaml: string, o = opts) => injectText(yaml, o);
const outrider = (spec: K): K => [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((c: K) => c.name === 'outrider');
const flag = (c: K, name: string): string | undefined =>
  c.args
    .filter((a: string) => a.startsWith(`--${name}=`))
    .at(-1)
    ?.slice(name.length + 3);
const pod = (extra = '', meta = '') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n${meta}spec:\n  containers:\n  - name: app\n    image: app:1\n${extra}`;

t.test('quantities', async (t) => {
  t.equal(quantityBytes('256Mi'), 256 * MiB);
  t.equal(quantityBytes('1Gi'), 1024 * MiB);
  t.equal(quantityBytes('500M'), 500e6);
  t.equal(quantityBytes('1e9'), 1e9);
  t.equal(quantityBytes('1.5Gi'), 1.5 * 1024 * MiB);
  t.equal(quantityBytes('lots'), undefined);
  t.equal(quantityBytes(''), undefined);
});

t.test('the spool budget always leaves the headroom it promises', async (t) => {
  t.equal(spoolBudget(minSizeLimitBytes - 1), undefined, 'below the minimum');
  for (let s = minSizeLimitBytes; s <= 200 * 1024 * MiB; s = Math.ceil(s * 1.37)) {
    const b = spoolBudget(s)!;
    const files = Math.ceil(s / b.segmentBytes) + 2;
    const need = quarantineRecords * (b.batchBytes + 64 * KiB) + files * 8 * KiB + MiB;
    if (b.maxSizeBytes + need > s || b.maxSizeBytes < 2 * b.segmentBytes || b.maxSizeBytes % MiB !== 0) {
      t.fail(`size ${s}: ${JSON.stringify(b)}`);
      return;
    }
  }
  t.pass('every size from 32Mi to 200Gi');
});

t.test('an injected manifest: spool numbers from the default, an annotation, and the pod’s own volume', async (t) => {
  const def = parse(inject(pod()).output);
  const c = outrider(def.spec);
  t.same(def.spec.volumes, [{ name: 'outrider-spool', emptyDir: { sizeLimit: '256Mi' } }]);
  // 256Mi: batches of 1 MiB, 16 MiB segments, 51 quarantined batches + 18 files + 1 MiB reserved → 200 MiB.
  t.equal(flag(c, 'spool.max-size'), '200MiB');
  t.equal(flag(c, 'spool.segment-size'), '16MiB');
  t.equal(flag(c, 'report.max-batch-bytes'), '1MiB');

  const ann = parse(inject(pod('', '  annotations:\n    outrider.io/spool-size-limit: 1Gi\n')).output);
  t.same(ann.spec.volumes[0].emptyDir, { sizeLimit: '1Gi' });
  t.equal(flag(outrider(ann.spec), 'spool.max-size'), '968MiB');
  t.equal(flag(outrider(ann.spec), 'spool.segment-size'), '64MiB');

  // The user's own spool volume is kept, and its sizeLimit sets the budget.
  const own = parse(inject(pod('  volumes:\n  - name: outrider-spool\n    emptyDir:\n      sizeLimit: 64Mi\n')).output);
  t.same(own.spec.volumes, [{ name: 'outrider-spool', emptyDir: { sizeLimit: '64Mi' } }], 'volume unchanged');
  t.equal(flag(outrider(own.spec), 'spool.max-size'), '46MiB');
  t.equal(flag(outrider(own.spec), 'report.max-batch-bytes'), '256KiB');

  for (const doc of [def, ann, own]) {
    const c = outrider(doc.spec);
    const limit = quantityBytes(doc.spec.volumes[0].emptyDir.sizeLimit)!;
    const max = quantityBytes(flag(c, 'spool.max-size')!.replace(/B$/, ''))!;
    const batch = quantityBytes(flag(c, 'report.max-batch-bytes')!.replace(/B$/, ''))!;
    t.ok(max + quarantineRecords * (batch + 64 * KiB) + MiB <= limit, `${doc.spec.volumes[0].emptyDir.sizeLimit}: spool + quarantine + files fit`);
  }
});

t.test('a spool that cannot fit is refused, not injected', async (t) => {
  const small = inject(pod('', '  annotations:\n    outrider.io/spool-size-limit: 16Mi\n'));
  t.equal(small.results[0]!.status, 'error');
  t.match(small.results[0]!.problems[0], 'below the 32Mi');
  const empty = inject(pod('', '  annotations:\n    outrider.io/spool-size-limit: ""\n'));
  t.match(empty.results[0]!.problems[0], 'always has a sizeLimit');
  const big = inject(pod('', '  annotations:\n    outrider.io/config: "spool: {max_size: 1GiB}"\n'));
  t.equal(big.results[0]!.status, 'error');
  t.match(big.results[0]!.problems[0], /spool.max_size 1GiB does not fit .* at most 200MiB/);
  const fits = parse(inject(pod('', '  annotations:\n    outrider.io/config: "spool: {max_size: 100MiB}"\n')).output);
  t.equal(flag(outrider(fits.spec), 'spool.max-size'), '100MiB', "a smaller spool.max_size of the user's wins");
});

t.test('ephemeral-storage: a limit only when the pod already has them', async (t) => {
  const none = outrider(parse(inject(pod()).output).spec);
  t.equal(none.resources.limits['ephemeral-storage'], undefined);
  const withLimit = pod().replace('    image: app:1\n', '    image: app:1\n    resources:\n      limits:\n        ephemeral-storage: 1Gi\n');
  const c = outrider(parse(inject(withLimit).output).spec);
  t.equal(c.resources.limits['ephemeral-storage'], '320Mi', 'the spool volume plus the logs, not out of the app’s share');
});

t.test('scrape annotations and the injected label', async (t) => {
  const bare = parse(inject(pod()).output);
  t.same(bare.metadata.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9477', 'prometheus.io/path': '/metrics' });
  t.same(bare.metadata.labels, { 'outrider.io/injected': 'true' });
  const mine = parse(inject(pod('', '  labels:\n    app: a\n  annotations:\n    team: x\n    prometheus.io/scrape: "true"\n    prometheus.io/port: "8080"\n')).output);
  t.same(mine.metadata.annotations, { team: 'x', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' }, "the app's own scrape annotations are kept as they are");
  t.same(mine.metadata.labels, { app: 'a', 'outrider.io/injected': 'true' });
  const other = parse(inject(pod('', '  annotations:\n    team: x\n')).output);
  t.same(other.metadata.annotations, { team: 'x', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9477', 'prometheus.io/path': '/metrics' });
});

t.test('probes: liveness and startup on /healthz, never readiness', async (t) => {
  for (const f of ['pod.in.yaml', 'deployment.in.yaml', 'job.in.yaml', 'cronjob.in.yaml']) {
    const text = readFileSync(join(fixtures, 'inject', f), 'utf8');
    const doc = parse(inject(text).output);
    const spec = doc.kind === 'Pod' ? doc.spec : doc.kind === 'CronJob' ? doc.spec.jobTemplate.spec.template.spec : doc.spec.template.spec;
    const c = outrider(spec);
    t.equal(c.readinessProbe, undefined, `${f}: no readinessProbe`);
    t.equal(c.livenessProbe.httpGet.path, '/healthz', `${f}: liveness`);
    if (c.restartPolicy === 'Always') t.equal(c.startupProbe, undefined, `${f}: a native sidecar has no startupProbe`);
    else t.equal(c.startupProbe.httpGet.path, '/healthz', `${f}: startup`);
  }
});

/** Runs the agent with the container's args and env, on loopback and against the fixture tree; returns families. */
async function runInjected(t: Test, args: string[], env: K[]): Promise<Set<string>> {
  const host = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'host');
  const spool = mkdtempSync(join(tmpdir(), 'outrider-sidecar-'));
  t.teardown(() => rmSync(spool, { recursive: true, force: true }));
  const local = args
    .slice(1)
    .map((a) => (a.startsWith('--listen=') ? '--listen=127.0.0.1:0' : a.startsWith('--statsd.listen=') ? '--statsd.listen=udp://127.0.0.1:0' : a))
    .concat([`--path.procfs=${host}/proc`, `--path.sysfs=${host}/sys`, `--path.rootfs=${host}/rootfs`, `--spool.dir=${spool}`]);
  const fieldValues: K = { 'metadata.name': 'shop-7d9f', 'metadata.namespace': 'shop', 'spec.nodeName': 'node-1', 'metadata.uid': '0000-1111' };
  const saved: K = {};
  for (const e of env) {
    saved[e.name] = process.env[e.name];
    process.env[e.name] = fieldValues[e.valueFrom.fieldRef.fieldPath];
  }
  const p = start(['agent', ...local]);
  for (const e of env) {
    if (saved[e.name] === undefined) delete process.env[e.name];
    else process.env[e.name] = saved[e.name];
  }
  t.teardown(() => p.stop());
  const ready = await p.waitFor(/Outrider agent is ready/);
  const url = String(ready.url);
  // The first collection is done once /readyz says so.
  for (let i = 0; i < 50 && (await fetch(`${url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  const text = await (await fetch(`${url}/metrics`)).text();
  return new Set(parseExposition(text).keys());
}

t.test("an injected pod's agent exports no host-wide node_* families", async (t) => {
  const doc = parse(inject(readFileSync(join(fixtures, 'inject', 'pod.in.yaml'), 'utf8')).output);
  const c = outrider(doc.spec);
  const families = await runInjected(t, c.args, c.env);
  const node = [...families].filter((n) => n.startsWith('node_') && !n.startsWith('node_scrape_collector_'));
  t.same(node, [], 'only node_scrape_collector_* (about its own collector runs)');
  t.ok(families.has('container_memory_usage_bytes'), 'its own cgroup');
  t.ok(families.has('outrider_statsd_packets_total'), 'StatsD');
  t.ok(families.has('process_resident_memory_bytes') && families.has('outrider_build_info'), 'self-telemetry');
  // The same run without the profile flag is what the profile prevents.
  const plain = await runInjected(
    t,
    c.args.filter((a: string) => !a.startsWith('--collectors.enabled=')),
    c.env,
  );
  t.ok([...plain].filter((n) => n.startsWith('node_') && !n.startsWith('node_scrape_collector_')).length > 20, 'without it, host families appear');
});

t.test('a pod template without metadata, or with an empty one, gets it once, before its spec', async (t) => {
  const bare = 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: a\n        image: a:1\n';
  const out = inject(bare).output;
  t.match(out, /  template:\n    metadata:\n      labels:\n        outrider.io\/injected: "true"\n[\s\S]*    spec:\n/);
  const empty = inject(bare.replace('  template:\n', '  template:\n    metadata:\n')).output;
  t.equal((empty.match(/^    metadata:/gm) ?? []).length, 1, 'no duplicate key');
  t.equal(parse(empty).spec.template.metadata.labels['outrider.io/injected'], 'true');
});
