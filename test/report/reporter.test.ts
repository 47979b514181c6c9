/** The reporter against a scripted HTTP server: permanent refusals are quarantined, Retry-After is honoured. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { testReporter } from './reporter-helper';
import { Health } from '../../agent/core/component';
import { FrameKind, parseHeader } from '../../agent/wire/frame';
import type { ReporterOptions } from '../../agent/report/reporter';
import { Store } from '../../agent/store/store';

async function scripted(answers: Array<[number, Record<string, string>?]>): Promise<{ url: string; seen: Array<{ seq: number; at: number }>; close(): Promise<void> }> {
  const seen: Array<{ seq: number; at: number }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const h = parseHeader(Buffer.concat(chunks));
      seen.push({ seq: h.ok ? h.header.seq : -1, at: Date.now() });
      const [status, headers] = answers.shift() ?? [200];
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(status === 200 ? '{"status":"applied"}' : '{"status":"error"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

function reporter(url: string, spoolDir: string, over: Partial<ReporterOptions> = {}, store = new Store()) {
  return testReporter(url, { token: 'tok', spool: { dir: spoolDir, maxBytes: 1 << 20, segmentBytes: 1 << 16, policy: 'drop_oldest', syncIntervalMs: 50, writeThrough: false } }, over, store);
}

const backlog = (h: Health) => Number(h.get('report')?.info?.backlog_batches ?? -1);
async function until(fn: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return fn();
}

t.test('a 400 is permanent: the batch is quarantined and counted, later batches go through', async (t) => {
  const srv = await scripted([[400]]);
  t.teardown(() => srv.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rep-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { r, store, health, telemetry } = reporter(srv.url, dir);
  await r.start();
  store.set({ name: 'g', help: '', type: 'gauge' }, {}, 1);
  await r.flush();
  store.set({ name: 'g', help: '', type: 'gauge' }, {}, 2);
  await r.flush();
  t.ok(await until(() => backlog(health) === 0));
  await r.stop();
  t.same(
    srv.seen.map((s) => s.seq),
    [1, 2],
    'no retry of the refused batch',
  );
  t.equal(fs.readdirSync(path.join(dir, 'quarantine')).filter((n) => n.endsWith('.orsp')).length, 1);
  const m = await telemetry.registry.getSingleMetricAsString('outrider_report_batches_total');
  t.match(m, /result="quarantined"\} 1/);
  t.match(m, /result="acked"\} 1/);
});

t.test('503 with Retry-After: the batch is retried no sooner than asked, then acknowledged', async (t) => {
  const srv = await scripted([[503, { 'retry-after': '1' }]]);
  t.teardown(() => srv.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rep-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { r, store, health } = reporter(srv.url, dir);
  await r.start();
  store.set({ name: 'g', help: '', type: 'gauge' }, {}, 1);
  await r.flush();
  t.ok(await until(() => backlog(health) === 0));
  await r.stop();
  t.same(
    srv.seen.map((s) => s.seq),
    [1, 1],
  );
  t.ok(srv.seen[1]!.at - srv.seen[0]!.at >= 950, 'Retry-After honoured');
});

t.test('without a spool directory batches are held in memory and delivered', async (t) => {
  const srv = await scripted([[502], [502]]);
  t.teardown(() => srv.close());
  const { r, store, health } = reporter(srv.url, '', { spool: undefined });
  await r.start();
  store.set({ name: 'c_total', help: '', type: 'counter' }, {}, 5);
  await r.flush();
  t.ok(await until(() => backlog(health) === 0));
  await r.stop();
  t.same(
    srv.seen.map((s) => s.seq),
    [1, 1, 1],
  );
});

t.test('a reload (a new reporter on the same store) keeps the epoch and continues the sequence', async (t) => {
  const srv = await scripted([]);
  t.teardown(() => srv.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rep-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = reporter(srv.url, dir);
  await first.r.start();
  first.store.set({ name: 'c_total', help: '', type: 'counter' }, {}, 5);
  await first.r.flush();
  t.ok(await until(() => backlog(first.health) === 0));
  await first.r.stop();
  const second = reporter(srv.url, dir, {}, first.store);
  await second.r.start();
  t.equal(second.r.epoch, first.r.epoch, 'same store, same epoch: its counters did not restart');
  first.store.set({ name: 'c_total', help: '', type: 'counter' }, {}, 7);
  await second.r.flush();
  t.ok(await until(() => backlog(second.health) === 0));
  await second.r.stop();
  t.same(
    srv.seen.map((s) => s.seq),
    [1, 2],
    'the sequence continues across the reload',
  );
  const fresh = reporter(srv.url, dir);
  await fresh.r.start();
  t.ok(fresh.r.epoch > first.r.epoch, 'a new store is a new epoch');
  await fresh.r.stop();
});

t.test('series that left the store: their definitions are kept while a batch that may carry them is pending, then forgotten', async (t) => {
  // An aggregator that holds its answers until released.
  const held: http.ServerResponse[] = [];
  let release = false;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (release) res.end('{"status":"applied"}');
      else held.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { r, store, health } = reporter(url, '', { spool: undefined, maxInFlight: 1, timeoutMs: 30_000 });
  await r.start();
  t.teardown(() => r.stop());
  const fam = { name: 'churn', help: '', type: 'gauge' as const };
  const defined = () => Number(health.get('report')?.info?.defined_series ?? -1);
  const round = async (k: number) => {
    for (let i = 0; i < 50; i++) store.set(fam, { pod: `${k}-${i}` }, i);
    await r.flush();
    for (const s of [...store.getFamily('churn')!.series.values()]) store.remove(s);
  };
  for (let k = 0; k < 4; k++) await round(k);
  t.ok(await until(() => held.length > 0));
  t.equal(defined(), 200, 'the first batch is still unanswered: every definition is kept');
  release = true;
  for (const res of held.splice(0)) res.end('{"status":"applied"}');
  t.ok(await until(() => backlog(health) === 0), 'everything delivered');
  for (let k = 4; k < 12; k++) {
    await round(k);
    t.ok(await until(() => backlog(health) === 0));
  }
  t.ok(defined() <= 100, `bounded by the last two rounds' series, not the 600 seen (${defined()})`);
  await r.flush();
  await r.flush();
  t.equal(defined(), 0, 'none once the store is empty and everything is settled');
});

t.test('after a reload, definitions the aggregator lost are read from the spooled record when memory no longer holds them', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rep-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  let mode: 'down' | 'lost' = 'down';
  let sid = 0;
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const h = parseHeader(Buffer.concat(chunks));
      const kind = h.ok ? (h.header.kind === FrameKind.defs ? 'defs' : `batch ${h.header.seq}`) : 'bad';
      seen.push(`${mode} ${kind}`);
      const json = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '60' } : {}) });
        res.end(JSON.stringify(body));
      };
      if (mode === 'down') return json(503, { status: 'error' });
      if (kind === 'defs') return json(200, { status: 'ok' });
      // The aggregator restarted and lost its table: it knows the series only once the definitions come again.
      if (seen.filter((s) => s === 'lost defs').length === 0) return json(409, { status: 'error', code: 'OUTRIDER_ERR_AGG_UNKNOWN_SERIES', missing: [sid] });
      json(200, { status: 'applied' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const store = new Store();
  const a = reporter(url, dir, { drainMs: 100 }, store);
  await a.r.start();
  sid = store.set({ name: 'g', help: '', type: 'gauge' }, {}, 1)!.id;
  await a.r.flush();
  t.ok(await until(() => seen.length > 0), 'the first batch was tried');
  await a.r.stop();
  mode = 'lost';
  // A reload: a new reporter on the same store continues the epoch, with a batcher that starts empty.
  const b = reporter(url, dir, {}, store);
  await b.r.start();
  t.teardown(() => b.r.stop());
  t.ok(await until(() => backlog(b.health) === 0), 'the spooled batch was delivered');
  t.same(
    seen.filter((s) => s.startsWith('lost')),
    ['lost batch 1', 'lost defs', 'lost batch 1'],
    'refused for unknown series, definitions sent from the spool, then applied',
  );
  const m = await b.telemetry.registry.getSingleMetricAsString('outrider_report_batches_total');
  t.notMatch(m, /result="quarantined"\} [1-9]/, 'nothing quarantined');
});
