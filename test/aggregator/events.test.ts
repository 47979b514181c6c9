/** Agents' events at the aggregator: POST /api/v1/ingest/events, GET /api/v1/events, bounds, dedupe, auth, expiry. */
import t from 'tap';
import { FleetEvents } from '../../agent/aggregator/events-store';
import { parseTime } from '../../agent/aggregator/events-api';
import { EVENTS_INGEST_PATH, parseEventsBody, type EventsBody, type WireEvent } from '../../agent/wire/events';
import { counterDefs, frame, metricsMatching, payload, post, startAggregator, tmpDir } from './helpers';

const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
const ev = (id: number, kind = 'anomaly_start', timeMs = Date.now()): WireEvent => ({ id, timeMs, kind, family: 'node_load1', labels: { cpu: String(id) }, detail: { score: 0.9, value: id } });
const body = (agent: string, epoch: number, events: WireEvent[]): EventsBody => ({ agent_id: agent, epoch, events });

async function send(url: string, b: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url + EVENTS_INGEST_PATH, { method: 'POST', body: typeof b === 'string' ? b : JSON.stringify(b), headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function read(url: string, query = '', headers: Record<string, string> = {}): Promise<{ status: number; events: Array<Record<string, unknown>> }> {
  const res = await fetch(`${url}/api/v1/events${query}`, { headers });
  const j = (await res.json()) as { data?: { events: Array<Record<string, unknown>> } };
  return { status: res.status, events: j.data?.events ?? [] };
}

t.test('events are stored once per (agent, epoch, id) and served fleet-wide with filters', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  const now = Date.now();
  const first = body('web-1', 100, [ev(1, 'anomaly_start', now - 3000), ev(2, 'anomaly_end', now - 2000)]);
  t.same((await send(url, first)).json, { status: 'ok', stored: 2, duplicates: 0 });
  t.same((await send(url, first)).json, { status: 'ok', stored: 0, duplicates: 2 }, 'a batch sent again is kept once');
  t.same((await send(url, body('web-1', 100, [ev(2), ev(3, 'forecast_crossing', now - 1000)]))).json, { status: 'ok', stored: 1, duplicates: 1 });
  t.same((await send(url, body('db-1', 7, [ev(1, 'anomaly_start', now - 2500)]))).json, { status: 'ok', stored: 1, duplicates: 0 });

  const all = await read(url);
  t.equal(all.status, 200);
  t.same(
    all.events.map((e) => [e.agent, e.id, e.kind]),
    [
      ['web-1', 1, 'anomaly_start'],
      ['db-1', 1, 'anomaly_start'],
      ['web-1', 2, 'anomaly_end'],
      ['web-1', 3, 'forecast_crossing'],
    ],
    'oldest first across agents, each once',
  );
  t.match(all.events[0], { epoch: 100, family: 'node_load1', labels: { cpu: '1' }, detail: { score: 0.9 }, time: new Date(now - 3000).toISOString() });
  t.same(
    (await read(url, '?agent=web-1&kind=anomaly_start&kind=anomaly_end')).events.map((e) => e.id),
    [1, 2],
  );
  t.same(
    (await read(url, `?since=${(now - 2200) / 1000}`)).events.map((e) => e.id),
    [2, 3],
  );
  t.same((await read(url, `?since=${new Date(now - 2200).toISOString()}`)).events.length, 2, 'RFC 3339');
  t.same(
    (await read(url, '?limit=1')).events.map((e) => e.kind),
    ['forecast_crossing'],
    'a limit keeps the newest',
  );
  for (const q of ['?limit=-1', '?limit=x', '?since=yesterday']) t.equal((await read(url, q)).status, 400, q);

  t.same((await send(url, body('web-1', 200, [ev(1)]))).json, { status: 'ok', stored: 1, duplicates: 0 }, 'a new epoch (the agent restarted) starts from id 1');
  await metricsMatching(url, /outrider_aggregator_events_received_total\{result="duplicate"\} 3/);
  const text = await metricsMatching(url, /outrider_aggregator_anomaly_events_total\{agent="web-1"\} 2/);
  t.match(text, /outrider_aggregator_events_received_total\{result="stored"\} 5/);
  t.match(text, /outrider_aggregator_anomaly_events_total\{agent="db-1"\} 1/);
  t.match(text, /outrider_aggregator_events_held 5/);
});

t.test('refusals: no token, a token for another agent, too large, malformed; each counted, nothing kept', async (t) => {
  const agg = await startAggregator(tmpDir(t), { tokens: ['web-tok web-1', 'reader @read'], events: { maxBodyBytes: 2048 } });
  t.teardown(() => agg.stop());
  const url = agg.url();
  const ok = body('web-1', 1, [ev(1)]);
  const anon = await send(url, ok);
  t.same([anon.status, anon.json.code], [401, 'OUTRIDER_ERR_AGG_UNAUTHORIZED']);
  t.same([(await send(url, ok, bearer('wrong'))).status], [401]);
  t.same([(await send(url, ok, bearer('reader'))).status], [401], 'a read-only token may not send');
  const forged = await send(url, body('db-9', 1, [ev(1)]), bearer('web-tok'));
  t.same([forged.status, forged.json.code], [403, 'OUTRIDER_ERR_AGG_FORBIDDEN_AGENT']);
  const big = await send(url, body('web-1', 1, [{ ...ev(1), family: 'x'.repeat(4000) }]), bearer('web-tok'));
  t.same([big.status, big.json.code], [413, 'OUTRIDER_ERR_AGG_TOO_LARGE']);
  for (const bad of [
    '{',
    '[]',
    JSON.stringify({ ...ok, epoch: -1 }),
    JSON.stringify(body('web-1', 1, [{ ...ev(1), id: 0 }])),
    JSON.stringify(body('web-1', 1, [{ ...ev(1), detail: { x: null } }] as never)),
  ]) {
    const r = await send(url, bad, bearer('web-tok'));
    t.same([r.status, r.json.code], [400, 'OUTRIDER_ERR_AGG_BAD_PAYLOAD'], bad.slice(0, 60));
  }
  t.same((await read(url, '', bearer('reader'))).events, [], 'nothing of the refused requests was kept');
  t.same((await send(url, ok, bearer('web-tok'))).json, { status: 'ok', stored: 1, duplicates: 0 });
  const text = await metricsMatching(url, /outrider_aggregator_event_requests_total\{result="ok"\} 1/, bearer('reader'));
  t.match(text, /outrider_aggregator_event_requests_total\{result="unauthorized"\} 3/);
  t.match(text, /outrider_aggregator_event_requests_total\{result="forbidden"\} 1/);
  t.match(text, /outrider_aggregator_event_requests_total\{result="too_large"\} 1/);
  t.match(text, /outrider_aggregator_event_requests_total\{result="malformed"\} 5/);
});

t.test('the read needs a token that may read, unless reads are public', async (t) => {
  const agg = await startAggregator(tmpDir(t), { tokens: ['web-tok web-1', 'reader @read'] });
  t.teardown(() => agg.stop());
  const url = agg.url();
  const anon = await fetch(url + '/api/v1/events');
  t.equal(anon.status, 401);
  t.equal(anon.headers.get('www-authenticate'), 'Bearer');
  t.equal((await read(url, '', bearer('web-tok'))).status, 401, 'a token that may only send');
  t.equal((await read(url, '', bearer('reader'))).status, 200);
  await metricsMatching(url, /outrider_aggregator_read_refusals_total 2/, bearer('reader'));
  t.pass('both refusals counted');
  const open = await startAggregator(tmpDir(t), { tokens: ['web-tok web-1'], publicReads: true });
  t.teardown(() => open.stop());
  t.equal((await read(open.url())).status, 200, 'aggregator.public_reads');
});

t.test('the anomaly counts show in /api/v1/agents; an expired agent leaves with its events', async (t) => {
  const agg = await startAggregator(tmpDir(t), { agentExpiryMs: 60_000 });
  t.teardown(() => agg.stop());
  const url = agg.url();
  t.equal((await post(url, frame(payload({ agentId: 'web-1', ...counterDefs, scalars: [10, 1] }), Date.now(), 1))).status, 200);
  const now = Date.now();
  await send(url, body('web-1', 1, [ev(1, 'anomaly_start', now - 2 * 3600_000), ev(2, 'anomaly_start', now - 60_000), ev(3, 'anomaly_end'), ev(4, 'anomaly_start')]));
  const agents = ((await (await fetch(url + '/api/v1/agents')).json()) as { agents: Array<Record<string, unknown>> }).agents;
  t.match(agents, [{ agent_id: 'web-1', anomaly_events_total: 3, anomaly_events_last_hour: 2 }]);
  agg.expireAgents(Date.now() + 120_000);
  t.same((await read(url)).events, [], 'expired with the agent');
  const text = await metricsMatching(url, /outrider_aggregator_events_evicted_total\{reason="expired"\} 4/);
  t.notMatch(text, /outrider_aggregator_anomaly_events_total\{agent="web-1"\}/, 'its anomaly series left too');
});

t.test('the store: a ring per agent, the whole store cut fairly, the agents bounded', async (t) => {
  const s = new FleetEvents({ perAgent: 3, maxEvents: 10, maxAgents: 4 });
  const evs = (from: number, n: number) => Array.from({ length: n }, (_, i) => ev(from + i, 'anomaly_start', 1000 + from + i));
  t.match(s.add(body('a', 1, evs(1, 5))), { ok: true, stored: 5 });
  t.same(
    s.query({ agents: ['a'], limit: 100 }).map((e) => e.id),
    [3, 4, 5],
    'the ring keeps the newest',
  );
  t.equal(s.evicted.agent_ring, 2);
  s.add(body('b', 1, evs(1, 3)));
  s.add(body('c', 1, evs(1, 3)));
  t.equal(s.size, 9);
  s.add(body('d', 1, evs(1, 2)));
  // 11 > 10: cut to 90 % (9): the common share that fits is 2 for a, b and c with d's 2 (2+2+2+2 = 8 ≤ 9 < 3+3+3+2).
  t.equal(s.size, 8);
  t.equal(s.evicted.store_full, 3);
  t.same(
    s.query({ agents: ['d'], limit: 100 }).map((e) => e.id),
    [1, 2],
    'the quieter agent kept all of its events',
  );
  t.same(s.add(body('e', 1, evs(1, 1))), { ok: false, reason: 'too_many_agents' });
  t.same(s.expire(1e15, 1000), ['a', 'b', 'c', 'd']);
  t.equal(s.size, 0);
});

t.test('the store stays within its bytes: large events cut every agent to a common share', async (t) => {
  const s = new FleetEvents({ perAgent: 100, maxEvents: 1000, maxBytes: 10_000, maxAgents: 4 });
  const big = (id: number): WireEvent => ({ ...ev(id, 'anomaly_start', id), labels: { text: 'x'.repeat(1000) } });
  for (let i = 1; i <= 10; i++) s.add(body('a', 1, [big(i)]));
  t.ok(s.bytes <= 10_000, `bytes held ${s.bytes}`);
  const kept = s.query({ limit: 100 }).map((e) => e.id);
  t.ok(kept.length >= 3 && kept.length < 10, `kept ${kept.length}`);
  t.equal(kept.at(-1), 10, 'the newest are kept');
  t.equal(s.evicted.store_full, 10 - kept.length);
});

t.test('the body check refuses past each bound', async (t) => {
  const limits = { maxEvents: 2, maxLabels: 2, maxNameChars: 16, maxValueChars: 16 };
  const check = (b: unknown) => parseEventsBody(Buffer.from(JSON.stringify(b)), limits);
  t.ok(check(body('a', 1, [ev(1)])).ok);
  t.notOk(check(body('a', 1, [ev(1), ev(2), ev(3)])).ok, 'too many events');
  t.notOk(check(body('an-agent-id-too-long', 1, [])).ok, 'agent id too long');
  t.notOk(check(body('a', 1, [{ ...ev(1), labels: { a: '1', b: '2', c: '3' } }])).ok, 'too many labels');
  t.notOk(check(body('a', 1, [{ ...ev(1), labels: { a: 'x'.repeat(17) } }])).ok, 'label value too long');
  t.notOk(check(body('a', 1, [{ ...ev(1), kind: 'Anomaly Start' }])).ok, 'kind not a name');
  t.notOk(check(body('a', 1, [{ ...ev(1), timeMs: 'now' }] as never)).ok, 'time not a number');
  t.equal(parseTime('1700000000.5'), 1_700_000_000_500);
  t.equal(parseTime('2026-01-01T00:00:00Z'), Date.UTC(2026, 0, 1));
  t.equal(parseTime('tomorrow'), null);
});
