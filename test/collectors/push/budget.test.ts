/**
 * One source cannot starve another: a push of 600,000 label values fills the push listener's series budget, not the
 * store, so StatsD still creates new series and the store's drop counters stay on /metrics. Non-finite counter
 * increments are refused.
 */
import dgram from 'node:dgram';
import t from 'tap';
import { get, startAgent } from '../../helpers/agent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statsdPort(url: string): Promise<number> {
  const health = (await get(url + '/healthz')).text;
  return Number(/udp 127\.0\.0\.1:(\d+)/.exec(health)?.[1] ?? 0);
}

/** Base URL of the push listener, from /healthz. */
async function pushUrlOf(url: string): Promise<string> {
  const health = JSON.parse((await get(url + '/healthz')).text) as { components: Array<{ name: string; detail?: string }> };
  return /listening on (\S+)/.exec(health.components.find((c) => c.name === 'push')?.detail ?? '')?.[1] ?? '';
}

function metric(text: string, line: RegExp): number | undefined {
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? undefined : Number(m.slice(m.lastIndexOf(' ') + 1));
}

t.test('a push of 600k label values cannot stop StatsD from creating series; the drop counter stays on /metrics', async (t) => {
  // A fixed memory limit: one derived from a small CI container's cgroup could shed before the budgets act.
  const a = await startAgent({ 'push.listen': '127.0.0.1:0', 'statsd.engine': 'ts', 'statsd.flush_interval': 100, 'collectors.interval': 200, 'memory_limiter.limit': 64 * 1024 ** 3 });
  t.teardown(() => a.stop());
  const pushUrl = await pushUrlOf(a.url);
  t.match(pushUrl, /^http:/, 'the push listener is up');
  let dropped = 0;
  for (let chunk = 0; chunk < 4; chunk++) {
    const lines: string[] = [];
    for (let i = 0; i < 150_000; i++) lines.push(`flood{v="${chunk * 150_000 + i}"} 1`);
    const r = await fetch(pushUrl + '/api/v1/push', { method: 'POST', body: lines.join('\n') + '\n' });
    t.equal(r.status, 200, `push ${chunk} answered`);
    dropped += ((await r.json()) as { dropped?: number }).dropped ?? 0;
  }
  const budget = a.agent.store.budgets.get('push')!;
  t.equal(dropped, 600_000 - budget, 'the answers say how many samples were not stored');
  t.equal(a.agent.store.seriesBySource().get('push'), budget, 'push holds its budget, no more');

  const port = await statsdPort(a.url);
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  for (let i = 0; i < 50; i++) sock.send(`after_flood:1|c|#n:${i}`, port, '127.0.0.1');
  let text = '';
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    text = (await get(a.url + '/metrics')).text;
    if ((text.match(/^after_flood_total\{/gm) ?? []).length === 50 && metric(text, /^outrider_store_dropped_writes_total\{reason="source_budget"\}/) !== undefined) break;
  }
  t.equal((text.match(/^after_flood_total\{/gm) ?? []).length, 50, 'StatsD created its 50 new series');
  t.equal(metric(text, /^outrider_store_dropped_writes_total\{reason="source_budget"\}/), 600_000 - budget, 'the refusals are counted on /metrics');
  t.equal(metric(text, /^outrider_store_source_dropped_writes_total\{source="push"\}/), 600_000 - budget, 'by source');
  t.equal(metric(text, /^outrider_push_dropped_samples_total /), 600_000 - budget, 'and by the push listener');
});

t.test('push refuses NaN and infinite counter increments with a clear 400, counted', async (t) => {
  const a = await startAgent({ 'push.listen': '127.0.0.1:0', 'collectors.interval': 200 });
  t.teardown(() => a.stop());
  const pushUrl = await pushUrlOf(a.url);
  for (const v of ['+Inf', '-Inf', 'NaN']) {
    const r = await fetch(pushUrl + '/api/v1/push', { method: 'POST', body: `# TYPE poison_total counter\npoison_total ${v}\n` });
    t.equal(r.status, 400, `${v} refused`);
    t.match(await r.json(), { code: 'OUTRIDER_ERR_PUSH_NON_FINITE', message: /finite/ });
  }
  t.equal(a.agent.store.getFamily('poison_total'), undefined, 'nothing written');
  const ok = await fetch(pushUrl + '/api/v1/push', { method: 'POST', body: 'gauge_may_be_nan NaN\n' });
  t.equal(ok.status, 200, 'a gauge may be NaN');
  let n: number | undefined;
  for (let i = 0; i < 30 && n !== 3; i++) {
    await sleep(100);
    n = metric((await get(a.url + '/metrics')).text, /^outrider_push_refused_requests_total\{reason="non_finite"\}/);
  }
  t.equal(n, 3);
});
