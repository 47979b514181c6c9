import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import t, { type Test } from 'tap';
import { get, startAgent } from '../helpers/agent';

function raw(url: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `store` served by /metrics (and the series API) on a loopback HTTP server that stops with the test. */
async function serveEndpoint(t: Test, store: import('../../agent/store/store').Store, beforeRead?: () => Promise<void>) {
  const { HttpServer } = await import('../../agent/core/http-server');
  const { Health } = await import('../../agent/core/component');
  const { mountEndpoint } = await import('../../agent/exposition/endpoint');
  const { silentLogger } = await import('../../agent/core/log');
  const server = new HttpServer({ name: 'http', listen: '127.0.0.1:0', log: silentLogger() });
  const cache = mountEndpoint(server, { store, health: new Health(), ...(beforeRead ? { beforeRead } : {}) });
  await server.start();
  t.teardown(() => server.stop());
  return { server, cache };
}

t.test('the local endpoint', async (t) => {
  const a = await startAgent({ 'collectors.interval': 60_000 });
  t.teardown(() => a.stop());

  await t.test('/metrics text by default, OpenMetrics when asked, gzip when asked', async (t) => {
    const text = await get(`${a.url}/metrics`);
    t.equal(text.status, 200);
    t.equal(text.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    t.match(text.text, /# TYPE outrider_build_info gauge\noutrider_build_info\{native="0",nodejs_version="v\d+[^"]*",version="[^"]+"\} 1\n/);
    t.match(text.text, /node_scrape_collector_success\{collector="loadavg"\} 1/);
    const om = await get(`${a.url}/metrics`, { Accept: 'application/openmetrics-text; version=1.0.0' });
    t.match(om.headers.get('content-type'), /^application\/openmetrics-text; version=1\.0\.0/);
    t.ok(om.text.endsWith('# EOF\n'));
    const gz = await raw(`${a.url}/metrics`, 'GET', { 'Accept-Encoding': 'gzip' });
    t.equal(gz.headers['content-encoding'], 'gzip');
    t.match(gunzipSync(gz.body).toString(), /outrider_build_info/);
    const head = await raw(`${a.url}/metrics`, 'HEAD');
    t.equal(head.status, 200);
    t.equal(head.body.length, 0);
  });

  await t.test('health, readiness, JSON API', async (t) => {
    const h = await get(`${a.url}/healthz`);
    t.equal(h.status, 200);
    const hj = JSON.parse(h.text) as { status: string; native: { available: boolean }; components: Array<{ name: string }> };
    t.equal(hj.status, 'ok');
    t.equal(hj.native.available, false);
    t.ok(hj.components.some((c) => c.name === 'collectors'));
    const r = await get(`${a.url}/readyz`);
    t.equal(r.status, 200);
    t.equal(JSON.parse(r.text).status, 'ready');
    const s = await get(`${a.url}/api/v1/series?match=node_load`);
    const sj = JSON.parse(s.text) as { series: Array<{ name: string }> };
    t.ok(sj.series.length >= 1 && sj.series.every((x) => x.name.startsWith('node_load')));
  });

  await t.test('404 for unknown paths, 405 with Allow for wrong methods', async (t) => {
    t.equal((await raw(`${a.url}/nope`, 'GET')).status, 404);
    const m = await raw(`${a.url}/metrics`, 'POST');
    t.equal(m.status, 405);
    t.equal(m.headers.allow, 'GET, HEAD');
    t.equal((await raw(`${a.url}/metrics`, 'DELETE')).status, 405);
  });
});

t.test('render cache renders once per store generation', async (t) => {
  const { Store } = await import('../../agent/store/store');
  const { RenderCache } = await import('../../agent/exposition/cache');
  const s = new Store();
  s.set({ name: 'x', help: 'x', type: 'gauge' }, {}, 1);
  const c = new RenderCache(s);
  for (let i = 0; i < 10; i++) c.get('text', i % 2 === 0);
  t.equal(c.renders, 1);
  t.equal(c.gzips, 1);
  s.set({ name: 'x', help: 'x', type: 'gauge' }, {}, 2);
  c.get('text', false);
  t.equal(c.renders, 2);
});

t.test('N scrapes between two collections cost one render (and one gzip)', async (t) => {
  const { Store } = await import('../../agent/store/store');
  const store = new Store();
  const desc = { name: 'scrape_probe', help: 'x', type: 'gauge' } as const;
  store.set(desc, {}, 1);
  const { server, cache } = await serveEndpoint(t, store);
  const url = `${server.url()}/metrics`;

  const bodies = await Promise.all(Array.from({ length: 20 }, () => get(url)));
  t.equal(cache.renders, 1, '20 scrapes, one render');
  t.ok(
    bodies.every((b) => b.text === bodies[0]!.text && b.text.includes('scrape_probe 1')),
    'the same bytes',
  );
  const zipped = await Promise.all(Array.from({ length: 5 }, () => raw(url, 'GET', { 'Accept-Encoding': 'gzip' })));
  t.equal(cache.renders, 1, 'gzip reuses the rendered body');
  t.equal(cache.gzips, 1, 'and compresses it once');
  t.ok(zipped.every((z) => gunzipSync(z.body).toString() === bodies[0]!.text));
  await get(url, { Accept: 'application/openmetrics-text; version=1.0.0' });
  t.equal(cache.renders, 2, 'another format is its own render');

  store.set(desc, {}, 2);
  const after = await Promise.all(Array.from({ length: 10 }, () => get(url)));
  t.equal(cache.renders, 3, 'a store change costs one more render, not one per scrape');
  t.ok(
    after.every((b) => b.text.includes('scrape_probe 2')),
    'and shows the change',
  );
});

t.test('a scrape is served the self telemetry as the registry holds it, not as of the last collection round', async (t) => {
  const a = await startAgent({ 'collectors.interval': 60_000 });
  t.teardown(() => a.stop());
  await get(`${a.url}/metrics`);
  const m = await get(`${a.url}/metrics`);
  t.match(m.text, /^outrider_http_requests_total\{code="200",path="\/metrics"\} 1$/m, 'the request before this one, counted after the only round so far');
  t.match(m.text, /^node_scrape_collector_duration_seconds\{collector="loadavg"\} \d/m);
});

t.test('a beforeRead that returns a promise is awaited before the body is rendered', async (t) => {
  const { Store } = await import('../../agent/store/store');
  const store = new Store();
  const desc = { name: 'late_probe', help: 'x', type: 'gauge' } as const;
  store.set(desc, {}, 1);
  let n = 1;
  const { server } = await serveEndpoint(t, store, () => new Promise<void>((resolve) => setImmediate(() => (store.set(desc, {}, ++n), resolve()))));
  t.match((await get(`${server.url()}/metrics`)).text, /^late_probe 2$/m);
  t.match((await get(`${server.url()}/api/v1/series?match=late_probe`)).text, /"value": "3"/);
});
