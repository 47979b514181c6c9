import { gzipSync } from 'node:zlib';
import t from 'tap';
import * as client from 'prom-client';
import { scrapeAccept } from '../../../agent/collectors/scrape/fetch';
import { scrapeOffsetMs } from '../../../agent/collectors/scrape/scraper';
import { targetsResponse } from '../../../agent/collectors/scrape/api';
import { scraper, serve, valueOf } from './helpers';

/** A Node app instrumented with prom-client, serving OpenMetrics. */
async function promClientApp() {
  const registry = new client.Registry();
  registry.setContentType(client.openMetricsContentType as typeof client.Registry.PROMETHEUS_CONTENT_TYPE);
  const requests = new client.Counter({ name: 'app_requests_total', help: 'Requests served.', labelNames: ['code'], registers: [registry] });
  const latency = new client.Histogram({ name: 'app_latency_seconds', help: 'Latency.', buckets: [0.1, 1], registers: [registry] });
  const temp = new client.Gauge({ name: 'app_temperature', help: 'Temperature.', labelNames: ['room'], registers: [registry] });
  const quant = new client.Summary({ name: 'app_size_bytes', help: 'Sizes.', percentiles: [0.5], registers: [registry] });
  const seen: { accept?: string; encoding?: string } = {};
  const app = await serve((req, res) => {
    seen.accept = req.headers.accept;
    seen.encoding = req.headers['accept-encoding'];
    void registry.metrics().then((body) => {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(body);
    });
  });
  return { app, requests, latency, temp, quant, seen };
}

t.test('a prom-client app serving OpenMetrics is scraped with exact values', async (t) => {
  const { app, requests, latency, temp, quant, seen } = await promClientApp();
  t.teardown(() => app.close());
  requests.inc({ code: '200' }, 3);
  requests.inc({ code: '500' });
  latency.observe(0.05);
  latency.observe(0.5);
  latency.observe(7);
  temp.set({ room: 'a' }, 21.5);
  quant.observe(10);
  const { scraper: s, store } = scraper([{ url: app.url + '/metrics', job: 'app' }]);
  await s.scrapeAll();
  const target = s.targets()[0]!;
  t.equal(target.health, 'up', target.lastError);
  t.equal(seen.accept, scrapeAccept);
  t.equal(seen.encoding, 'gzip');
  const inst = app.url.slice('http://'.length);
  const L = (x: Record<string, string> = {}) => ({ job: 'app', instance: inst, ...x });
  t.equal(valueOf(store, 'app_requests_total', L({ code: '200' })), 3);
  t.equal(valueOf(store, 'app_requests_total', L({ code: '500' })), 1);
  t.equal(store.getFamily('app_requests_total')?.type, 'counter');
  t.equal(store.getFamily('app_requests_total')?.help, 'Requests served.');
  t.same(valueOf(store, 'app_latency_seconds', L()), {
    count: 3,
    sum: 7.55,
    buckets: [
      [0.1, 1],
      [1, 2],
      [Infinity, 3],
    ],
    quantiles: undefined,
  });
  t.equal(valueOf(store, 'app_temperature', L({ room: 'a' })), 21.5);
  t.same(valueOf(store, 'app_size_bytes', L()), { count: 1, sum: 10, buckets: undefined, quantiles: [[0.5, 10]] });
  t.equal(valueOf(store, 'up', L()), 1);
  // 2 counter + 5 histogram + 1 gauge + 3 summary lines.
  t.equal(valueOf(store, 'scrape_samples_scraped', L()), 11);
  t.equal(valueOf(store, 'scrape_samples_post_metric_relabeling', L()), 11);
  t.equal(valueOf(store, 'scrape_series_added', L()), 5);
  t.type(valueOf(store, 'scrape_duration_seconds', L()), 'number');

  // A series that disappears from the target disappears from the store; a new one is counted as added.
  temp.remove({ room: 'a' });
  temp.set({ room: 'b' }, 19);
  await s.scrapeAll();
  t.equal(valueOf(store, 'app_temperature', L({ room: 'a' })), undefined);
  t.equal(valueOf(store, 'app_temperature', L({ room: 'b' })), 19);
  t.equal(valueOf(store, 'scrape_series_added', L()), 1);

  // The target goes down: its series leave the store, up is 0, and the targets API says why.
  app.server.closeAllConnections();
  await app.close();
  await s.scrapeAll();
  await s.scrapeAll(); // the first may meet the pooled connection closing; the second is refused
  t.equal(valueOf(store, 'app_requests_total', L({ code: '200' })), undefined);
  t.equal(valueOf(store, 'up', L()), 0);
  const api = targetsResponse(s.targets()) as { data: { activeTargets: Array<Record<string, unknown>> } };
  t.equal(api.data.activeTargets[0]!.health, 'down');
  t.match(api.data.activeTargets[0]!.lastError, /ECONNREFUSED/);
  t.same(api.data.activeTargets[0]!.labels, { job: 'app', instance: inst });
});

t.test('text 0.0.4 with gzip, timestamps, honor_labels and metric relabeling', async (t) => {
  const body = '# TYPE m gauge\nm{job="inner",x="1"} 5 1700000000000\nm{job="inner",x="2"} 6\ndrop_me 1\n';
  const app = await serve((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Encoding': 'gzip' });
    res.end(gzipSync(body));
  });
  t.teardown(() => app.close());
  const inst = app.url.slice(7);
  const relabels = [{ source_labels: ['__name__'], regex: 'drop_me', action: 'drop' }];
  const { scraper: s, store } = scraper([
    { url: app.url, job: 'outer', metric_relabel_configs: relabels },
    { url: app.url + '/metrics', job: 'honored', honor_labels: true, honor_timestamps: false, path: '/other' },
  ]);
  await s.scrapeAll();
  t.same(
    s.targets().map((x) => x.health),
    ['up', 'up'],
    s
      .targets()
      .map((x) => x.lastError)
      .join(),
  );
  t.equal(valueOf(store, 'm', { job: 'outer', exported_job: 'inner', instance: inst, x: '1' }), 5);
  t.equal(store.getFamily('m')!.series.size, 4);
  const withTs = [...store.getFamily('m')!.series.values()].find((x) => x.labels.exported_job === 'inner' && x.labels.x === '1');
  t.ok(withTs, [...store.getFamily('m')!.series.values()].map((x) => JSON.stringify(x.labels) + x.timestampMs).join());
  t.equal(withTs?.timestampMs, 1700000000000, 'honor_timestamps (default) keeps the timestamp');
  const honored = [...store.getFamily('m')!.series.values()].find((x) => x.labels.job === 'inner' && x.labels.x === '1');
  t.ok(honored, 'honor_labels keeps the scraped job');
  t.equal(honored?.timestampMs, undefined, 'honor_timestamps: false drops it');
  t.equal(valueOf(store, 'drop_me', { job: 'outer', instance: inst }), undefined);
  t.equal(valueOf(store, 'drop_me', { job: 'honored', instance: inst }), 1);
  t.equal(valueOf(store, 'scrape_samples_scraped', { job: 'outer', instance: inst }), 3);
  t.equal(valueOf(store, 'scrape_samples_post_metric_relabeling', { job: 'outer', instance: inst }), 2);
  t.equal(s.targets()[1]!.spec.url.pathname, '/other');
});

t.test('a malformed body fails that scrape only, with the line in the error', async (t) => {
  const good = await serve((_req, res) => res.end('ok_metric 1\n'));
  const bad = await serve((_req, res) => res.end('fine 1\nbroken{ 2\n'));
  t.teardown(async () => {
    await good.close();
    await bad.close();
  });
  const { scraper: s, store } = scraper([
    { url: good.url, job: 'good' },
    { url: bad.url, job: 'bad' },
  ]);
  await s.scrapeAll();
  const [g, b] = s.targets();
  t.equal(g!.health, 'up');
  t.equal(b!.health, 'down');
  t.match(b!.lastError, /^line 2: /);
  t.equal(b!.failures.get('parse'), 1);
  t.equal(valueOf(store, 'fine', { job: 'bad', instance: bad.url.slice(7) }), undefined, 'nothing of a failed scrape is stored');
  t.equal(valueOf(store, 'ok_metric', { job: 'good', instance: good.url.slice(7) }), 1);
});

t.test('limits fail the scrape and are counted', async (t) => {
  const lines = Array.from({ length: 20 }, (_, i) => `s{i="${i}",long_label_name="${'v'.repeat(40)}"} ${i}`).join('\n') + '\n';
  const app = await serve((_req, res) => res.end(lines));
  t.teardown(() => app.close());
  const cases: Array<[string, Record<string, unknown>]> = [
    ['sample_limit', { sample_limit: 10 }],
    ['label_limit', { label_limit: 4 }],
    ['label_name_length_limit', { label_name_length_limit: 10 }],
    ['label_value_length_limit', { label_value_length_limit: 20 }],
    ['body_size_limit', { body_size_limit: 100 }],
    ['series_limit', { series_limit: 5 }],
  ];
  const { scraper: s, store, telemetry } = scraper([...cases.map(([job, l]) => ({ url: app.url, job, ...l })), { url: app.url, job: 'within', sample_limit: 20, label_limit: 5 }]);
  await s.scrapeAll();
  for (const [i, [job]] of cases.entries()) {
    const st = s.targets()[i]!;
    t.equal(st.health, 'down', job);
    t.match(st.lastError, new RegExp(`^${job} exceeded`), job);
    t.equal(st.failures.get(job), 1, job);
    t.equal(valueOf(store, 'up', { job, instance: app.url.slice(7) }), 0);
  }
  t.equal(s.targets()[cases.length]!.health, 'up');
  const text = await telemetry.registry.getSingleMetricAsString('outrider_scrape_limit_breaches_total');
  t.match(text, 'outrider_scrape_limit_breaches_total{limit="sample_limit"} 1');
});

t.test('target_limit: too many targets, none scraped, each says why', async (t) => {
  const { scraper: s } = scraper([{ url: 'http://127.0.0.1:1/a' }, { url: 'http://127.0.0.1:1/b' }], { targetLimit: 1 });
  await s.start();
  t.teardown(() => s.stop());
  t.same(
    s.targets().map((x) => x.health),
    ['down', 'down'],
  );
  t.match(s.targets()[0]!.lastError, /target_limit exceeded/);
});

t.test('a target that hangs fails at its timeout', async (t) => {
  const app = await serve(() => undefined);
  t.teardown(() => {
    app.server.closeAllConnections();
    return app.close();
  });
  const { scraper: s } = scraper([{ url: app.url, timeout: '200ms', interval: '1s' }]);
  await s.scrapeAll();
  t.equal(s.targets()[0]!.health, 'down');
  t.match(s.targets()[0]!.lastError, /timed out after 0.2s/);
});

t.test('bearer token and basic auth come from files', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/outrider-scrape-');
  writeFileSync(dir + '/token', 's3cret\n');
  writeFileSync(dir + '/pw', 'pw\n');
  const got: string[] = [];
  const app = await serve((req, res) => {
    got.push(String(req.headers.authorization) + '|' + String(req.headers['x-extra']) + '|' + req.url);
    res.end('a 1\n');
  });
  t.teardown(() => app.close());
  const { scraper: s } = scraper([
    { url: app.url, bearer_token_file: dir + '/token', headers: { 'X-Extra': 'yes' }, params: { module: ['m1', 'm2'] } },
    { url: app.url, job: 'b', basic_auth: { username: 'u', password_file: dir + '/pw' } },
  ]);
  await s.scrapeAll();
  t.same(got.sort(), ['Basic ' + Buffer.from('u:pw').toString('base64') + '|undefined|/metrics', 'Bearer s3cret|yes|/metrics?module=m1&module=m2'].sort());
});

t.test('scrape offsets spread targets over the interval and are stable', async (t) => {
  const offs = Array.from({ length: 50 }, (_, i) => scrapeOffsetMs(`t${i}`, 15_000));
  t.ok(offs.every((o) => o >= 0 && o < 15_000));
  t.equal(scrapeOffsetMs('t1', 15_000), offs[1]);
  t.ok(new Set(offs.map((o) => Math.floor(o / 3000))).size >= 4, 'offsets fall in most fifths of the interval');
});
