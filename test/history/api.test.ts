import t from 'tap';
import { get, startAgent } from '../helpers/agent';

interface Answer {
  status: string;
  data?: unknown;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

async function api(url: string, init?: RequestInit): Promise<{ code: number; body: Answer }> {
  const res = await fetch(url, init);
  return { code: res.status, body: (await res.json()) as Answer };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

t.test("Prometheus's read API over the history of a started agent", async (t) => {
  const a = await startAgent({ 'collectors.interval': 60_000, 'history.step': 100 });
  t.teardown(() => a.stop());
  const h = a.agent.history!;
  t.ok(h, 'on by default');
  await until(() => (h.newestMs() ?? 0) - (h.oldestMs() ?? Infinity) >= 200 && h.seriesCount > 0, 'three rounds');

  const series = await api(`${a.url}/api/v1/series?match[]=outrider_build_info&match[]={__name__="outrider_native_available"}`);
  t.equal(series.code, 200);
  t.equal(series.body.status, 'success');
  const data = series.body.data as Record<string, string>[];
  t.same(
    data.map((l) => l.__name__),
    ['outrider_build_info', 'outrider_native_available'],
    'the union of both selectors, sorted',
  );
  t.match(data[0], { __name__: 'outrider_build_info', native: /^[01]$/, version: String });
  t.equal(Object.keys(data[0]!)[0], '__name__', 'labels in name order');

  const now = Date.now() / 1000;
  const inWindow = await api(`${a.url}/api/v1/series?match[]=outrider_build_info&start=${now - 60}&end=${new Date().toISOString()}`);
  t.equal((inWindow.body.data as unknown[]).length, 1, 'unix seconds and RFC 3339 times');
  const before = await api(`${a.url}/api/v1/series?match[]=outrider_build_info&start=100&end=200`);
  t.same(before.body, { status: 'success', data: [] }, 'nothing before the history began');

  const labels = await api(`${a.url}/api/v1/labels`);
  t.equal(labels.code, 200);
  t.ok((labels.body.data as string[]).includes('__name__'));
  t.ok((labels.body.data as string[]).includes('version'));
  const names = await api(`${a.url}/api/v1/label/__name__/values?match[]={__name__=~"outrider_(build_info|native_available)"}`);
  t.same(names.body.data, ['outrider_build_info', 'outrider_native_available']);
  const limited = await api(`${a.url}/api/v1/label/__name__/values?limit=1`);
  t.equal((limited.body.data as unknown[]).length, 1);
  t.same(limited.body.warnings, ['results truncated due to limit']);

  const posted = await api(`${a.url}/api/v1/series`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ 'match[]': 'outrider_build_info' }).toString(),
  });
  t.equal((posted.body.data as unknown[]).length, 1, 'POST with a form body, as Grafana sends it');

  const history = h.select([{ name: '__name__', type: '=', value: 'outrider_build_info' }], -Infinity, Infinity)[0]!;
  t.ok(history.timestampsMs.length >= 3, 'samples at each step');
  t.equal(history.values[0], 1);

  t.match(await get(`${a.url}/api/v1/series?match=outrider_build`), { status: 200, text: /"series":/ }, 'without match[], the store listing as before');

  const metrics = await a.agent.telemetry.registry.metrics();
  t.match(metrics, /^outrider_history_series [1-9]/m);
  t.match(metrics, /^outrider_history_bytes [1-9]/m);
  t.match(metrics, /^outrider_history_dropped_series_total\{reason="max_series"\} 0/m);
});

t.test('errors in the Prometheus error shape', async (t) => {
  const a = await startAgent({ 'collectors.interval': 60_000, 'history.step': 100 });
  t.teardown(() => a.stop());
  for (const [path, what] of [
    ['/api/v1/series?match[]={', /unclosed/],
    ['/api/v1/series?match[]={job=~".*"}', /at least one matcher that does not match the empty string/],
    ['/api/v1/series?match[]=up{job=~"("}', /invalid regular expression/],
    ['/api/v1/series?match[]=up&start=yesterday', /invalid parameter "start"/],
    ['/api/v1/labels?end=2026-13-99', /invalid parameter "end"/],
    ['/api/v1/label/1bad/values', /invalid label name/],
    ['/api/v1/labels?limit=-1', /limit/],
  ] as const) {
    const r = await api(a.url + path);
    t.equal(r.code, 400, path);
    t.equal(r.body.status, 'error');
    t.equal(r.body.errorType, 'bad_data');
    t.match(r.body.error, what, path);
  }
  const noMatch = await api(`${a.url}/api/v1/series`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  t.match(noMatch, { code: 400, body: { errorType: 'bad_data', error: /no match\[\]/ } });
  const notForm = await api(`${a.url}/api/v1/series`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.match(notForm, { code: 400, body: { errorType: 'bad_data' } });
  t.equal((await fetch(`${a.url}/api/v1/label/job`)).status, 404);
});

t.test('history.enabled: false answers unavailable; a reload keeps the history unless its settings change', async (t) => {
  const off = await startAgent({ 'collectors.interval': 60_000, 'history.enabled': false });
  t.teardown(() => off.stop());
  t.equal(off.agent.history, undefined);
  t.match(await api(`${off.url}/api/v1/labels`), { code: 503, body: { status: 'error', errorType: 'unavailable' } });

  const a = await startAgent({ 'collectors.interval': 60_000, 'history.step': 100 });
  t.teardown(() => a.stop());
  const first = a.agent.history;
  await a.agent.reload(a.agent.config.with({ log_level: 'warn' }));
  t.equal(a.agent.history, first, 'same settings: same history, data kept');
  await a.agent.reload(a.agent.config.with({ 'history.step': 200 }));
  t.not(a.agent.history, first, 'a new step: a new history');
  t.equal(a.agent.history?.stepMs, 200);
  await a.agent.reload(a.agent.config.with({ 'history.enabled': false }));
  t.equal(a.agent.history, undefined);
  t.equal(a.agent.health.get('history')?.state, 'stopped');
});
