/** /api/v1/query and /api/v1/query_range over HTTP: Prometheus's JSON shape, GET and POST, its error types. */
import t, { type Test } from 'tap';
import { HttpServer } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import type { HistoryReader } from '../../agent/history/types';
import { QueryApi, parseTime } from '../../agent/query/api';
import { MemoryHistory } from './memory-history';

function history(): MemoryHistory {
  const h = new MemoryHistory(60_000);
  h.add(
    { __name__: 'up', job: 'node', instance: 'a' },
    Array.from({ length: 11 }, (_, i) => [i * 60_000, 1] as const),
  );
  h.add(
    { __name__: 'req_total', job: 'node' },
    Array.from({ length: 11 }, (_, i) => [i * 60_000, i * 120] as const),
  );
  return h;
}

async function serve(t: Test, h: HistoryReader | undefined, opts = { timeoutMs: 10_000, maxSamples: 1_000_000 }): Promise<string> {
  const server = new HttpServer({ name: 'http', listen: '127.0.0.1:0', log: silentLogger() });
  new QueryApi(
    () => h,
    () => opts,
    () => 600_000,
  ).mount(server);
  await server.start();
  t.teardown(() => server.stop());
  return server.url();
}

async function get(url: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
}

t.test('instant queries: vector, scalar and matrix results in the Prometheus shape', async (t) => {
  const base = await serve(t, history());
  const v = await get(`${base}/api/v1/query?query=${encodeURIComponent('rate(req_total[5m])')}&time=600`);
  t.equal(v.status, 200);
  t.same(v.body, { status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'node' }, value: [600, '2'] }] } });
  const s = await get(`${base}/api/v1/query?query=${encodeURIComponent('scalar(up) / 0')}`);
  t.same(s.body.data, { resultType: 'scalar', result: [600, '+Inf'] }, 'time defaults to now; non-finite values as Prometheus writes them');
  const m = await get(`${base}/api/v1/query?query=${encodeURIComponent('up[2m]')}&time=1970-01-01T00:10:00Z`);
  t.same(
    m.body.data,
    {
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'up', instance: 'a', job: 'node' },
          values: [
            [480, '1'],
            [540, '1'],
            [600, '1'],
          ],
        },
      ],
    },
    'RFC 3339 time',
  );
});

t.test('range queries, GET and POST with a form body', async (t) => {
  const base = await serve(t, history());
  const want = {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: { job: 'node' },
          values: [
            [300, '2'],
            [420, '2'],
            [540, '2'],
          ],
        },
      ],
    },
  };
  const g = await get(`${base}/api/v1/query_range?query=${encodeURIComponent('rate(req_total[5m])')}&start=300&end=600&step=2m`);
  t.same(g.body, want);
  const p = await fetch(`${base}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: 'rate(req_total[5m])', start: '300', end: '600', step: '120' }).toString(),
  });
  t.equal(p.status, 200);
  t.same(await p.json(), want, 'a numeric step is seconds');
  const bad = await fetch(`${base}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'query=up' });
  t.equal(bad.status, 400);
});

t.test('errors: bad_data 400, execution 422, timeout 503, history disabled 404', async (t) => {
  const base = await serve(t, history());
  const parse = await get(`${base}/api/v1/query?query=${encodeURIComponent('rate(up')}`);
  t.equal(parse.status, 400);
  t.equal(parse.body.errorType, 'bad_data');
  t.match(parse.body.error, /^1:\d+: syntax error/);
  const unsupported = await get(`${base}/api/v1/query?query=${encodeURIComponent('day_of_week()')}`);
  t.equal(unsupported.status, 400);
  t.match(unsupported.body.error, /day_of_week\(\) is not supported/);
  t.equal((await get(`${base}/api/v1/query`)).status, 400, 'missing query');
  t.equal((await get(`${base}/api/v1/query?query=up&time=yesterday`)).status, 400, 'bad time');
  t.equal((await get(`${base}/api/v1/query_range?query=up&start=0&end=600&step=0`)).status, 400, 'zero step');
  t.equal((await get(`${base}/api/v1/query_range?query=up&start=0&end=600`)).status, 400, 'missing step');
  const exec = await get(`${base}/api/v1/query?query=${encodeURIComponent('up + on() group_left req_total + on() up')}&time=600`);
  t.equal(exec.status, 200, 'a valid many-to-one');
  const dup = await get(`${base}/api/v1/query?query=${encodeURIComponent('label_replace(label_replace({job="node"}, "instance", "", "instance", ".*"), "__name__", "x", "job", ".*")')}&time=600`);
  t.equal(dup.status, 422);
  t.equal(dup.body.errorType, 'execution');

  const limited = await serve(t, history(), { timeoutMs: 10_000, maxSamples: 5 });
  const many = await get(`${limited}/api/v1/query?query=${encodeURIComponent('rate(req_total[10m])')}&time=600`);
  t.equal(many.status, 422);
  t.match(many.body.error, /too many samples/);

  const slow = await serve(t, history(), { timeoutMs: 10_000, maxSamples: 1_000_000 });
  const timeout = await get(`${slow}/api/v1/query_range?query=up&start=0&end=600&step=1&timeout=-1s`);
  t.equal(timeout.status, 400, 'a negative timeout parameter is refused');
  const off = await serve(t, undefined);
  const r = await get(`${off}/api/v1/query?query=up`);
  t.equal(r.status, 404);
  t.match(r.body.error, /history is disabled/);
});

t.test('the timeout answers 503', async (t) => {
  const h = new MemoryHistory(1000);
  h.add(
    { __name__: 'x' },
    Array.from({ length: 4000 }, (_, i) => [i * 1000, i] as const),
  );
  const base = await serve(t, h, { timeoutMs: 1, maxSamples: 1e9 });
  const r = await get(`${base}/api/v1/query_range?query=${encodeURIComponent('max_over_time(sum_over_time(x[1h])[1h:1s])')}&start=0&end=4000&step=1`);
  t.equal(r.status, 503);
  t.equal(r.body.errorType, 'timeout');
});

t.test('parseTime', async (t) => {
  t.equal(parseTime('1.5', 0, 'time'), 1500);
  t.equal(parseTime('2024-01-02T03:04:05.678Z', 0, 'time'), Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  t.equal(parseTime(null, 42, 'time'), 42);
});
