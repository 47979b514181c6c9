import t from 'tap';
import { EventLog, eventsResponse } from '../../agent/analysis/events';
import { get, startAgent } from '../helpers/agent';

const ev = (i: number) => ({ timeMs: i * 1000, kind: 'anomaly_start' as const, family: 'f', labels: { i: String(i) }, detail: { score: 1 } });

t.test('the ring keeps the newest events, counts the ones it let go, and lists after an id', async (t) => {
  const log = new EventLog(3);
  for (let i = 1; i <= 5; i++) log.push(ev(i));
  t.same(
    log.list().map((e) => e.id),
    [3, 4, 5],
  );
  t.equal(log.dropped, 2);
  t.equal(log.nextId, 6);
  t.same(
    log.list(3).map((e) => e.id),
    [4, 5],
    'after an id',
  );
  t.same(
    log.list(0, 2).map((e) => e.id),
    [3, 4],
    'a limit keeps the oldest of them',
  );
  t.same(log.list(5), []);
  t.throws(() => new EventLog(0), RangeError);
});

t.test('one structured log line per event', async (t) => {
  const lines: unknown[] = [];
  const logger = { info: (o: unknown, m: string) => lines.push([o, m]) } as never;
  const log = new EventLog(10, logger);
  log.push(ev(1));
  t.same(lines, [[{ event: 'anomaly_start', id: 1, family: 'f', labels: { i: '1' }, score: 1 }, 'Event: anomaly_start.']]);
});

t.test('the response: bad parameters are a 400', async (t) => {
  const log = new EventLog(10);
  log.push(ev(1));
  log.push(ev(2));
  const ok = eventsResponse(log, new URLSearchParams('after=1'));
  t.equal(ok.status, 200);
  t.match(ok.body, { status: 'success', data: { next_id: 3, dropped: 0, events: [{ id: 2, kind: 'anomaly_start', time: '1970-01-01T00:00:02.000Z' }] } });
  for (const q of ['after=-1', 'limit=x', 'after=1.5']) t.equal(eventsResponse(log, new URLSearchParams(q)).status, 400, q);
});

t.test('GET /api/v1/events on a running agent', async (t) => {
  const a = await startAgent({ 'collectors.interval': 60_000 });
  t.teardown(() => a.stop());
  a.agent.events.push(ev(7));
  const res = await get(`${a.url}/api/v1/events`);
  t.equal(res.status, 200);
  const body = JSON.parse(res.text) as { status: string; data: { events: { id: number; labels: unknown }[] } };
  t.equal(body.status, 'success');
  t.same(
    body.data.events.map((e) => [e.id, e.labels]),
    [[1, { i: '7' }]],
  );
  t.equal((await get(`${a.url}/api/v1/events?limit=abc`)).status, 400);
  t.equal(a.agent.health.get('analysis')?.state, 'running', 'the analysis runs by default, over the history');
});
