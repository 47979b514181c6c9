import { agentKeys } from '../../../agent/keys';
import t from 'tap';
import { Config } from '../../../agent/config/config';
import { optionsFromConfig } from '../../../agent/deploy/inject/options';
import { sidecarContainer } from '../../../agent/deploy/inject/sidecar';
import { get, startAgent } from '../../helpers/agent';
import { serve } from './helpers';

t.test('the agent scrapes static targets and serves them on /metrics and /api/v1/targets', async (t) => {
  const good = await serve((_req, res) => res.end('# TYPE app_hits counter\napp_hits_total 42\n'));
  const bad = await serve((_req, res) => res.end('app_hits_total{ 1\n'));
  t.teardown(async () => {
    await good.close();
    await bad.close();
  });
  const a = await startAgent({
    'scrape.targets': [
      { url: good.url, job: 'good', interval: '1s' },
      { url: bad.url, job: 'bad', interval: '1s' },
    ],
  });
  t.teardown(() => a.stop());
  let api: { data: { activeTargets: Array<Record<string, unknown>> } } | undefined;
  for (let i = 0; i < 50; i++) {
    api = JSON.parse((await get(a.url + '/api/v1/targets')).text);
    if (api!.data.activeTargets.every((x) => x.health !== 'unknown')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const byJob = Object.fromEntries(api!.data.activeTargets.map((x) => [x.scrapePool, x]));
  t.equal(byJob.good!.health, 'up', String(byJob.good!.lastError));
  t.equal(byJob.bad!.health, 'down');
  t.match(byJob.bad!.lastError, /^line 1: /);
  t.same(byJob.good!.labels, { job: 'good', instance: good.url.slice(7) });
  t.type(byJob.good!.lastScrapeDuration, 'number');
  t.not(byJob.good!.lastScrape, new Date(0).toISOString());
  const metrics = (await get(a.url + '/metrics')).text;
  const now = JSON.parse((await get(a.url + '/api/v1/targets')).text).data.activeTargets.map((x: Record<string, unknown>) => x.lastError);
  t.match(metrics, `app_hits_total{instance="${good.url.slice(7)}",job="good"} 42`, now.join());
  t.match(metrics, `up{instance="${bad.url.slice(7)}",job="bad"} 0`);
  t.notMatch(metrics, /job="bad"} 1\n/);
  t.match(metrics, /outrider_component_received_total\{component="scrape"\}/);
});

t.test('an annotated pod is scraped on 127.0.0.1 with no other config', async (t) => {
  const app = await serve((req, res) => res.end(req.url === '/custom' ? 'pod_metric 7\n' : 'wrong_path 1\n'));
  t.teardown(() => app.close());
  const port = app.url.split(':').pop()!;
  const a = await startAgent({ 'scrape.interval': 200, 'scrape.annotations.scrape': 'true', 'scrape.annotations.port': port, 'scrape.annotations.path': '/custom' });
  t.teardown(() => a.stop());
  let metrics = '';
  for (let i = 0; i < 50 && !metrics.includes('pod_metric'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    metrics = (await get(a.url + '/metrics')).text;
  }
  t.match(metrics, `pod_metric{instance="127.0.0.1:${port}",job="pod"} 7`);
});

t.test('no annotation and no targets: no scrape component', async (t) => {
  const a = await startAgent({ 'scrape.annotations.scrape': 'false' });
  t.teardown(() => a.stop());
  t.equal(a.agent.contracts.has('scrape'), false);
  t.same(JSON.parse((await get(a.url + '/api/v1/targets')).text).data.activeTargets, []);
});

t.test('the injected sidecar reads the Prometheus annotations through the downward API', async (t) => {
  const c = sidecarContainer(optionsFromConfig(Config.defaults(agentKeys)), false) as { env: Array<{ name: string; valueFrom: { fieldRef: { fieldPath: string } } }> };
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.valueFrom.fieldRef.fieldPath]));
  t.equal(env.OUTRIDER_SCRAPE_ANNOTATIONS_SCRAPE, "metadata.annotations['prometheus.io/scrape']");
  t.equal(env.OUTRIDER_SCRAPE_ANNOTATIONS_PORT, "metadata.annotations['prometheus.io/port']");
  t.equal(env.OUTRIDER_SCRAPE_ANNOTATIONS_PATH, "metadata.annotations['prometheus.io/path']");
  t.equal(env.OUTRIDER_SCRAPE_ANNOTATIONS_SCHEME, "metadata.annotations['prometheus.io/scheme']");
});

// The injector annotates a pod without prometheus.io annotations of its own with the sidecar's endpoint: the sidecar
// must not scrape itself from those annotations (its series would be copied back into its own store).
t.test("annotations that name the agent's own endpoint are not scraped", async (t) => {
  const { freePort } = await import('../../e2e/procs');
  const port = await freePort();
  const a = await startAgent({ listen: `127.0.0.1:${port}`, 'scrape.annotations.scrape': 'true', 'scrape.annotations.port': String(port) });
  t.teardown(() => a.stop());
  t.equal(a.agent.contracts.has('scrape'), false, 'no scrape component for the agent itself');
  t.same(JSON.parse((await get(a.url + '/api/v1/targets')).text).data.activeTargets, []);
});

t.test('file_sd_configs through the agent: targets from a file, and a config that names a bad file type is refused', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const app = await serve((_req, res) => res.end('discovered_metric 5\n'));
  t.teardown(() => app.close());
  const d = mkdtempSync(join(tmpdir(), 'outrider-filesd-agent-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'targets.json'), JSON.stringify([{ targets: [app.url.slice(7)], labels: { team: 'a' } }]));
  const a = await startAgent({ 'scrape.file_sd_configs': [{ files: [join(d, '*.json')], job: 'sd', interval: '200ms' }] });
  t.teardown(() => a.stop());
  let metrics = '';
  for (let i = 0; i < 50 && !metrics.includes('discovered_metric'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    metrics = (await get(a.url + '/metrics')).text;
  }
  t.match(metrics, `discovered_metric{instance="${app.url.slice(7)}",job="sd",team="a"} 5`);
  const api = JSON.parse((await get(a.url + '/api/v1/targets')).text);
  t.equal(api.data.activeTargets[0].discoveredLabels.__meta_filepath, join(d, 'targets.json'));
  await t.rejects(startAgent({ 'scrape.file_sd_configs': [{ files: [join(d, 'targets.txt')] }] }), /file_sd_configs\[0\]\.files/);
});
