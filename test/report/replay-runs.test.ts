/**
 * Replay of a spooled backlog as runs of consecutive records (several frames in one body, one sendfile): each batch is
 * applied exactly once, a segment leaves the disk only once every batch in it is acknowledged, and a batch the body
 * did not settle is sent again alone.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { testReporter } from './reporter-helper';
import { splitFrames } from '../../agent/wire/frame';
import { Health } from '../../agent/core/component';
import type { ReporterOptions } from '../../agent/report/reporter';
import { Store } from '../../agent/store/store';
import { startAggregator, tmpDir } from '../aggregator/helpers';

function reporter(url: string, spoolDir: string, over: Partial<ReporterOptions> = {}, store = new Store()) {
  return testReporter(
    url,
    { agentId: 'replayer', drainMs: 100, sendfileMinBytes: 0, spool: { dir: spoolDir, maxBytes: 1 << 24, segmentBytes: 1 << 20, policy: 'stop_accepting', syncIntervalMs: 50, writeThrough: false } },
    over,
    store,
  );
}

// The reporter's timers are unref'd: keep the process alive while a test waits on them.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

const backlog = (h: Health) => Number(h.get('report')?.info?.backlog_batches ?? -1);
async function until(fn: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return fn();
}
const segments = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.orsp'));

async function deadUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** Spools `n` batches (a counter +1 each) while the aggregator is unreachable, then stops: a backlog on disk only. */
async function spoolBacklog(dir: string, n: number): Promise<string[]> {
  const a = reporter(await deadUrl(), dir);
  await a.r.start();
  for (let i = 1; i <= n; i++) {
    a.store.set({ name: 'replayed_total', help: 'h', type: 'counter' }, {}, i);
    await a.r.flush();
  }
  await a.r.stop();
  return segments(dir);
}

t.test('a backlog replays in bodies of several frames to the aggregator: every batch applied exactly once', async (t) => {
  const dir = tmpDir(t, 'outrider-replay-');
  const spoolDir = path.join(dir, 'spool');
  const before = await spoolBacklog(spoolDir, 30);
  t.ok(before.length >= 1, 'the backlog is on disk');
  const agg = await startAggregator(path.join(dir, 'agg'));
  t.teardown(() => agg.stop());
  const b = reporter(agg.url(), spoolDir);
  await b.r.start();
  t.ok(await until(() => backlog(b.health) === 0), 'the backlog is acknowledged');
  const text = await (await fetch(agg.url() + '/metrics')).text();
  t.match(text, /\nreplayed_total 30\n/, 'the counter is exactly the last value: no batch lost or applied twice');
  const requests = await agg.telemetry.registry.getSingleMetricAsString('outrider_aggregator_requests_total');
  t.match(requests, /result="applied"\} 30(\n|$)/, 'thirty batches applied, one each');
  const sent = await b.telemetry.registry.getSingleMetricAsString('outrider_report_sendfile_batches_total');
  t.match(sent, / 30\n?$/, 'every batch went from the segment to the socket');
  t.same(
    segments(spoolDir).filter((s) => before.includes(s)),
    [],
    'the replayed segments are deleted',
  );
  await b.r.stop();
});

t.test('a body settled in part: the segment stays until every batch in it is acknowledged; the rest go alone', async (t) => {
  const dir = tmpDir(t, 'outrider-replay-');
  const before = await spoolBacklog(dir, 12);
  const applied = new Map<number, number>();
  const bodies: number[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const split = splitFrames(Buffer.concat(chunks));
        const frames = split.ok ? split.frames : [];
        bodies.push(frames.length);
        // The second request waits until the test has looked at the disk.
        if (bodies.length === 2) await held;
        const results: Array<Record<string, unknown>> = [];
        for (const [i, f] of frames.entries()) {
          const { seq, epoch } = f.header;
          if (bodies.length === 1 && i === 3) {
            results.push({ epoch, seq, status: 'error', http_status: 503, code: 'X' });
            break;
          }
          results.push({ epoch, seq, status: applied.has(seq) ? 'duplicate' : 'applied' });
          applied.set(seq, (applied.get(seq) ?? 0) + 1);
        }
        // With a Content-Length, as the aggregator answers (the replay client reads no chunked answers).
        const answer = JSON.stringify(frames.length === 1 ? { status: results[0]!.status } : { status: 'frames', results });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
        res.end(answer);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const b = reporter(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, dir);
  await b.r.start();
  t.ok(await until(() => bodies.length === 2), 'the first body was answered, the second is waiting');
  t.equal(bodies[0], 12, 'the whole backlog went as one body');
  t.equal(applied.size, 3, 'three batches were settled by the first body');
  t.same(
    segments(dir).filter((s) => before.includes(s)),
    before,
    'the segment is still on disk: not every batch in it is acknowledged',
  );
  t.equal(backlog(b.health), 9);
  release();
  t.ok(await until(() => backlog(b.health) === 0), 'the rest is acknowledged');
  t.same(bodies, [12, 1, 8], 'the batch the body refused went alone, the eight after it in a run again');
  t.same(
    [...applied.keys()].sort((x, y) => x - y),
    Array.from({ length: 12 }, (_, i) => i + 1),
    'every batch acknowledged',
  );
  t.ok(
    [...applied.values()].every((n) => n === 1),
    'none sent again once acknowledged',
  );
  t.same(
    segments(dir).filter((s) => before.includes(s)),
    [],
    'then the segment is deleted',
  );
  await b.r.stop();
});

t.test('an aggregator that takes one frame per body: the run is not quarantined, each batch goes alone', async (t) => {
  const dir = tmpDir(t, 'outrider-replay-');
  await spoolBacklog(dir, 5);
  const bodies: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const split = splitFrames(Buffer.concat(chunks));
      const n = split.ok ? split.frames.length : 0;
      bodies.push(n);
      const answer = n === 1 ? '{"status":"applied"}' : '{"status":"error","code":"OUTRIDER_ERR_AGG_BAD_FRAME"}';
      res.writeHead(n === 1 ? 200 : 400, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const b = reporter(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, dir);
  await b.r.start();
  t.ok(await until(() => backlog(b.health) === 0));
  t.same(bodies, [5, 1, 1, 1, 1, 1], 'one refused body of five, then one batch per request');
  t.notOk(fs.existsSync(path.join(dir, 'quarantine')), 'nothing quarantined');
  await b.r.stop();
});
