/**
 * The remote write output on the output runtime: requests for a receiver that is down wait in the URL's spool, survive
 * the output (a new one on the same spool replays them in order), and a spooled 2.0 request reaches a receiver that
 * only speaks 1.0 re-encoded, nothing lost.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { uncompress } from 'snappyjs';
import { Health } from '../../agent/core/component';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { RemoteWriteOutput, RemoteWriteProtocol } from '../../agent/report/remote-write/output';
import { decodeWriteRequest } from '../../agent/report/remote-write/protobuf';
import { Store } from '../../agent/store/store';

const V2_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

/** A 1.0-only receiver on `port` (415 to 2.0) recording each request's values of `g`. */
async function receiver(t: { teardown(fn: () => unknown): void }, port = 0): Promise<{ port: number; got: number[][]; types: string[] }> {
  const got: number[][] = [];
  const types: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = String(req.headers['content-type']);
      types.push(type);
      if (type === V2_TYPE) return res.writeHead(415).end();
      const series = decodeWriteRequest(Buffer.from(uncompress(Buffer.concat(chunks))));
      got.push(series.filter((s) => s.labels.some(([k, v]) => k === '__name__' && v === 'g')).map((s) => s.samples[0]![0]));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, got, types };
}

/** A loopback port nothing listens on (taken, then released). */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function output(url: string, dir: string, store: Store, protocol: RemoteWriteProtocol) {
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const out = new RemoteWriteOutput(store, {
    name: 'rw',
    urls: [url],
    intervalMs: 3_600_000,
    log: silentLogger(),
    telemetry,
    health: new Health(),
    protocol,
    drainMs: 200,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    spool: { dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, policy: 'drop_oldest', syncIntervalMs: 20, writeThrough: false },
  });
  return { out, telemetry };
}

// The output's timers are unref'd (an agent's servers keep it alive): keep the test process alive while it waits.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

async function until(fn: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return fn();
}

t.test('requests for a receiver that is down are spooled, durable, and replayed in order by the next output (2.0 re-encoded as 1.0)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rws-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await deadPort();
  const url = `http://127.0.0.1:${port}/api/v1/write`;
  const store = new Store();
  const g = { name: 'g', help: '', type: 'gauge' as const };
  const first = output(url, dir, store, 'auto');
  await first.out.start();
  for (let v = 1; v <= 4; v++) {
    store.set(g, {}, v);
    await first.out.tick();
  }
  t.equal(await first.out.whenDurable(store.generation, 5000), true, 'everything written so far is durable while the receiver is down');
  await first.out.stop();
  const text = await first.telemetry.registry.metrics();
  t.match(text, /outrider_remote_write_backlog_requests\{output="rw"\} 5\n/, 'four ticks and the one at stop wait');
  t.notMatch(text, /outrider_remote_write_dropped_requests_total\{[^}]*\} [1-9]/);

  const rx = await receiver(t, port);
  store.set(g, {}, 6);
  const second = output(url, dir, store, 'auto');
  await second.out.start();
  await second.out.tick();
  t.ok(await until(() => rx.got.length === 6), `got ${rx.got.length} requests`);
  await second.out.stop();
  t.same(rx.got.slice(0, 6), [[1], [2], [3], [4], [4], [6]], 'every spooled value, in order, then the new one');
  t.equal(rx.types[0], V2_TYPE, 'the spooled 2.0 request was tried as 2.0 first');
  t.same(second.out.protocols(), { [url]: '1.0' });
  t.match(await second.telemetry.registry.metrics(), /outrider_remote_write_fallbacks_total\{output="rw",reason="unsupported_media_type"\} 1\n/);
});

t.test('a URL that falls back to 1.0 while a tick is being encoded gets that tick too (re-encoded), nothing lost', async (t) => {
  const rx = await receiver(t);
  const url = `http://127.0.0.1:${rx.port}/api/v1/write`;
  const store = new Store();
  const g = { name: 'g', help: '', type: 'gauge' as const };
  for (let i = 0; i < 3000; i++) store.set({ name: 'filler', help: '', type: 'gauge' }, { i: String(i) }, i);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rws-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { out, telemetry } = output(url, dir, store, 'auto');
  await out.start();
  // Ticks overlap the first request's 415: some are encoded for 2.0 and queued after the URL fell back to 1.0.
  const ticks: Array<Promise<void>> = [];
  for (let v = 1; v <= 20; v++) {
    store.set(g, {}, v);
    ticks.push(out.tick());
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(ticks);
  // 3,001 series: two requests a tick, one of them with `g`.
  const values = () => rx.got.map((r) => r[0]).filter((v) => v !== undefined);
  t.ok(await until(() => values().length === 20), `got ${values().length} of 20 ticks`);
  await out.stop();
  t.same(out.protocols(), { [url]: '1.0' });
  const got = values().slice(0, 20);
  t.same(
    [...got].sort((a, b) => a! - b!),
    got,
    'the ticks arrived in the order the store was read',
  );
  t.equal(got.at(-1), 20);
  t.notMatch(await telemetry.registry.metrics(), /outrider_remote_write_dropped_requests_total\{[^}]*\} [1-9]/, 'nothing dropped');
});
