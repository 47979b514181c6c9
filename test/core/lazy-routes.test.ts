/**
 * Routes whose code loads with their first request (core/lazy-routes.ts): each lazily mounted API binds exactly the
 * paths and methods its module mounts, and a request loads the module once and is answered by it.
 */
import t from 'tap';
import { HttpServer } from '../../agent/core/http-server';
import { type LazyRoute, mountOnFirstRequest, recordRoutes, type RouteSink } from '../../agent/core/lazy-routes';
import { silentLogger } from '../../agent/core/log';
import { LivePage, sourceClassifier } from '../../agent/live/index';
import { liveRoutes, mountLive } from '../../agent/live/mount';
import { QueryApi } from '../../agent/query/api';
import { queryRoutes } from '../../agent/query/mount';
import { mountRulesApi } from '../../agent/rules/http';
import { rulesRoutes } from '../../agent/rules/mount';
import { Store } from '../../agent/store/store';
import { Telemetry } from '../../agent/core/telemetry';

function listed(routes: readonly LazyRoute[]): Record<string, string[]> {
  return Object.fromEntries(routes.map((r) => [r.path, [...r.methods].sort()]));
}

function mounted(mount: (sink: RouteSink) => void): Record<string, string[]> {
  return Object.fromEntries([...recordRoutes(mount)].map(([path, byMethod]) => [path, [...byMethod.keys()].sort()]));
}

const liveOptions = { enabled: true, maxClients: 2, historyMs: 600_000, clientBufferBytes: 256 * 1024, intervalMs: 1000, heartbeatMs: 15_000 };

t.test('each lazy route list is what its module mounts', async (t) => {
  t.same(
    listed(queryRoutes),
    mounted((s) =>
      new QueryApi(
        () => undefined,
        () => ({}) as never,
      ).mount(s),
    ),
    'query API',
  );
  t.same(
    listed(rulesRoutes),
    mounted((s) => mountRulesApi(s, () => [])),
    'rules API',
  );
  const page = new LivePage({ store: new Store(), options: liveOptions, sourceOf: sourceClassifier(new Set()), info: () => ({ version: 'test' }) });
  t.same(
    listed(liveRoutes),
    mounted((s) => page.mount(s)),
    'live page',
  );
  page.close();
});

t.test('the first request loads the module once; GET routes answer HEAD', async (t) => {
  const server = new HttpServer({ name: 'http', listen: '127.0.0.1:0', log: silentLogger() });
  let loads = 0;
  mountOnFirstRequest(server, [{ methods: ['GET', 'POST'], path: '/x' }], () => {
    loads++;
    return (sink) =>
      sink.route(['GET', 'POST'], '/x', (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(req.method === 'HEAD' ? undefined : `${req.method} ${loads}`);
      });
  });
  await server.start();
  t.teardown(() => server.stop(100));
  t.equal(loads, 0, 'nothing loaded at start');
  const get = await fetch(server.url() + '/x');
  t.equal(await get.text(), 'GET 1');
  const post = await fetch(server.url() + '/x', { method: 'POST' });
  t.equal(await post.text(), 'POST 1');
  const head = await fetch(server.url() + '/x', { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(loads, 1, 'loaded once');
});

t.test('the live page: its metrics at start, the page with its first request, closed before it is built', async (t) => {
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const server = new HttpServer({ name: 'http', listen: '127.0.0.1:0', log: silentLogger() });
  const live = mountLive(server, { store: new Store(), options: liveOptions, hostOwners: () => new Set(['cpu']), telemetry, info: () => ({ version: 'test' }) });
  await server.start();
  t.teardown(() => server.stop(100));
  t.ok(telemetry.registry.getSingleMetric('outrider_live_clients'), 'outrider_live_clients registered at start');
  t.ok(telemetry.registry.getSingleMetric('outrider_live_streams_total'), 'outrider_live_streams_total registered at start');
  t.equal(live.page, undefined, 'no page before a request');
  const first = await fetch(server.url() + '/api/v1/live/history');
  t.equal(first.status, 200);
  t.match(await first.json(), { info: { version: 'test' } });
  t.ok(live.page, 'built by the first request');
  live.close();
  const stream = await fetch(server.url() + '/api/v1/live/stream');
  t.equal(stream.status, 503, 'a closed page refuses streams, as before');
  await stream.text();
});

t.test('a page closed before its first request refuses streams once built', async (t) => {
  const server = new HttpServer({ name: 'http', listen: '127.0.0.1:0', log: silentLogger() });
  const live = mountLive(server, { store: new Store(), options: liveOptions, hostOwners: () => new Set(), info: () => ({ version: 'test' }) });
  await server.start();
  t.teardown(() => server.stop(100));
  live.close();
  const stream = await fetch(server.url() + '/api/v1/live/stream');
  t.equal(stream.status, 503);
  await stream.text();
});
