/** The events sender: the agent's event log to the aggregator, at least once, from a bounded queue. */
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { EventLog } from '../../agent/analysis/events';
import { Health } from '../../agent/core/component';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { EventsSender, EventsSenderOptions } from '../../agent/report/events-sender';
import { startAggregator, tmpDir } from '../aggregator/helpers';
import { makePki } from '../helpers/tls-certs';

const opts = (o: Partial<EventsSenderOptions> = {}): EventsSenderOptions => ({
  agentId: 'web-1',
  token: undefined,
  timeoutMs: 2000,
  backoffBaseMs: 20,
  backoffMaxMs: 100,
  drainMs: 1000,
  maxQueue: 100,
  maxBatch: 50,
  pollMs: 20,
  ...o,
});

function sender(log: EventLog, endpoint: () => string, o: Partial<EventsSenderOptions> = {}) {
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const s = new EventsSender(log, endpoint, opts(o), { log: silentLogger(), telemetry, health: new Health() });
  const count = async (name: string, labels: Record<string, string> = {}) => {
    const m = telemetry.registry.getSingleMetric(name);
    const v = (await m!.get()).values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
    return v?.value ?? 0;
  };
  return { s, count };
}

const anomaly = (i: number, detail: Record<string, number | string> = { score: 0.9 }) => ({
  timeMs: 1_700_000_000_000 + i,
  kind: 'anomaly_start' as const,
  family: 'node_load1',
  labels: { i: String(i) },
  detail,
});

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function fleetEvents(url: string): Promise<Array<{ agent: string; id: number; detail: Record<string, unknown> }>> {
  return ((await (await fetch(url + '/api/v1/events')).json()) as { data: { events: Array<{ agent: string; id: number; detail: Record<string, unknown> }> } }).data.events;
}

/** A server in front of `target`: forwards every request, and answers as `answer` says (undefined: as the target did). */
async function proxy(
  t: { teardown(fn: () => unknown): void },
  target: string,
  answer: (n: number, body: string) => { status: number; delayMs?: number } | undefined,
): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      bodies.push(body);
      const a = answer(bodies.length, body);
      const forward =
        a && a.status !== 200
          ? Promise.resolve({ status: a.status, text: '{"status":"error","code":"X","message":"test"}' })
          : fetch(target + req.url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(async (r) => ({ status: r.status, text: await r.text() }));
      void forward.then((r) => setTimeout(() => res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.text), a?.delayMs ?? 0));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

t.test('events reach the aggregator; a batch whose answer was lost is sent again and kept once', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  // The first request reaches the aggregator, but its answer comes after the sender gave up on it.
  const p = await proxy(t, agg.url(), (n) => (n === 1 ? { status: 200, delayMs: 600 } : undefined));
  const log = new EventLog(100);
  for (let i = 1; i <= 3; i++) log.push(anomaly(i, { score: 0.9, seconds_until_full: i === 3 ? Infinity : 5 }));
  const { s, count } = sender(log, () => p.url, { timeoutMs: 300 });
  t.teardown(() => s.stop());
  await s.start();
  await until(async () => (await count('outrider_events_sent_total')) === 3, 'the events acknowledged');
  t.ok(p.bodies.length >= 2, 'sent again after the lost answer');
  t.equal(p.bodies[0], p.bodies[1], 'the same batch, the same ids');
  const stored = await fleetEvents(agg.url());
  t.same(
    stored.map((e) => [e.agent, e.id]),
    [
      ['web-1', 1],
      ['web-1', 2],
      ['web-1', 3],
    ],
    'kept once each',
  );
  t.equal(stored[2]!.detail.seconds_until_full, '+Inf', 'a non-finite figure travels as Prometheus spells it');
  t.ok((await count('outrider_events_send_failures_total')) >= 1);
  log.push(anomaly(4));
  await until(async () => (await fleetEvents(agg.url())).length === 4, 'a later event');
});

t.test('a full queue drops the oldest and counts them; a reload keeps the rest and delivers them', async (t) => {
  const log = new EventLog(100);
  const first = sender(log, () => 'http://127.0.0.1:9', { maxQueue: 3, drainMs: 100 });
  await first.s.start();
  for (let i = 1; i <= 5; i++) log.push(anomaly(i));
  await until(async () => (await first.count('outrider_events_dropped_total', { reason: 'queue_full' })) === 2, 'the drops counted');
  t.equal(first.s.queued, 3);
  await first.s.stop();
  t.equal(first.s.queued, 3, 'what could not be sent stays queued');

  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const second = sender(log, () => agg.url());
  t.teardown(() => second.s.stop());
  await second.s.start();
  await until(async () => (await fleetEvents(agg.url())).length === 3, 'the queue delivered after the reload');
  t.same(
    (await fleetEvents(agg.url())).map((e) => e.id),
    [3, 4, 5],
    'the newest three, with their ids',
  );
  t.equal(await second.count('outrider_events_dropped_total', { reason: 'overwritten' }), 0);
});

t.test('events the log let go before they were taken count as overwritten', async (t) => {
  const log = new EventLog(2);
  const { s, count } = sender(log, () => 'http://127.0.0.1:9', { pollMs: 60_000 });
  t.teardown(() => s.stop());
  await s.start();
  for (let i = 1; i <= 5; i++) log.push(anomaly(i));
  await s.stop();
  t.equal(await count('outrider_events_dropped_total', { reason: 'overwritten' }), 3);
  t.equal(s.queued, 2);
});

t.test('a 413 halves the batch; another refusal drops the batch and counts it', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const p = await proxy(t, agg.url(), (_n, body) => {
    const b = JSON.parse(body) as { events: Array<{ labels: { i: string } }> };
    if (b.events.length > 2) return { status: 413 };
    if (b.events.some((e) => e.labels.i === '7')) return { status: 400 };
    return undefined;
  });
  const log = new EventLog(100);
  for (let i = 1; i <= 8; i++) log.push(anomaly(i));
  const { s, count } = sender(log, () => p.url, { maxBatch: 8 });
  t.teardown(() => s.stop());
  await s.start();
  await until(async () => s.queued === 0, 'the queue emptied');
  t.same(
    (await fleetEvents(agg.url())).map((e) => e.id),
    [1, 2, 3, 4, 5, 6],
    'every batch of two but the refused one',
  );
  t.equal(await count('outrider_events_dropped_total', { reason: 'refused' }), 2);
  t.equal(await count('outrider_events_sent_total'), 6);
});

t.test('the events follow the endpoint the reporter uses now', async (t) => {
  const a = await startAggregator(tmpDir(t));
  const b = await startAggregator(tmpDir(t));
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  let now = a.url();
  const log = new EventLog(100);
  const { s } = sender(log, () => now);
  t.teardown(() => s.stop());
  await s.start();
  log.push(anomaly(1));
  await until(async () => (await fleetEvents(a.url())).length === 1, 'the first at A');
  now = b.url();
  log.push(anomaly(2));
  await until(async () => (await fleetEvents(b.url())).length === 1, 'the second at B');
  t.same(
    (await fleetEvents(b.url())).map((e) => e.id),
    [2],
  );
  t.equal((await fleetEvents(a.url())).length, 1, 'A has only the first');
});

t.test("the reporter's TLS settings and token: a CA, a client certificate", async (t) => {
  const pki = makePki();
  const seen: Array<{ cn: string; auth: string | undefined }> = [];
  const server = https.createServer({ cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey), ca: pki.read(pki.caCert), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    seen.push({ cn: String((req.socket as TLSSocket).getPeerCertificate()?.subject?.CN ?? ''), auth: req.headers.authorization });
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","stored":1,"duplicates":0}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tls = { ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey), serverName: undefined, insecureSkipVerify: false };
  const log = new EventLog(10);
  log.push(anomaly(1));
  const good = sender(log, () => url, { tls, token: 's3cret' });
  await good.s.start();
  await until(async () => (await good.count('outrider_events_sent_total')) === 1, 'sent over TLS');
  await good.s.stop();
  t.same(seen, [{ cn: 'agent-1', auth: 'Bearer s3cret' }]);
  const log2 = new EventLog(10);
  log2.push(anomaly(1));
  const noCert = sender(log2, () => url, { tls: { ...tls, cert: undefined, key: undefined } });
  await noCert.s.start();
  await until(async () => (await noCert.count('outrider_events_send_failures_total')) >= 1, 'the refusal');
  await noCert.s.stop();
  t.equal(noCert.s.queued, 1, 'without a client certificate nothing is delivered');
});
