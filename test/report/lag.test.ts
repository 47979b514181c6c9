/**
 * The delivery lag gauge (outrider_report_lag_seconds): the age of the oldest batch the aggregator has not
 * acknowledged, 0 when none is pending; a backlog found in the spool at start keeps its age; a reload's reporter
 * takes the gauge over.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { testReporter } from './reporter-helper';
import type { Health } from '../../agent/core/component';
import { Telemetry } from '../../agent/core/telemetry';
import type { ReporterOptions } from '../../agent/report/reporter';
import { Store } from '../../agent/store/store';

/** A loopback address where nothing listens (a port bound, then released). */
async function deadUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

async function acceptingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"applied"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

function reporter(url: string, spoolDir: string, over: Partial<ReporterOptions> = {}, store = new Store(), telemetry?: Telemetry) {
  const spool = { dir: spoolDir, maxBytes: 1 << 20, segmentBytes: 1 << 16, policy: 'drop_oldest' as const, syncIntervalMs: 50, writeThrough: false };
  return testReporter(url, { spool }, { drainMs: 0, ...over }, store, telemetry);
}

async function gauge(telemetry: Telemetry): Promise<number> {
  const text = await telemetry.registry.getSingleMetricAsString('outrider_report_lag_seconds');
  const m = /^outrider_report_lag_seconds (\S+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

const backlog = (h: Health) => Number(h.get('report')?.info?.backlog_batches ?? -1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(fn: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await sleep(10);
  return fn();
}

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-lag-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('the lag is 0 with nothing pending and grows with the oldest unacknowledged batch', async (t) => {
  const { r, store, telemetry } = reporter(await deadUrl(), tmp(t));
  await r.start();
  t.equal(await gauge(telemetry), 0, 'nothing pending: 0');
  const formed = Date.now();
  store.set({ name: 'g', help: '', type: 'gauge' }, {}, 1);
  await r.flush();
  await sleep(600);
  store.set({ name: 'g', help: '', type: 'gauge' }, {}, 2);
  await r.flush(); // a newer batch does not lower the lag: the oldest one counts
  await sleep(600);
  const lag = await gauge(telemetry);
  t.ok(lag >= 1.1 && lag <= (Date.now() - formed) / 1000 + 0.01, `the lag (${lag} s) is the age of the first batch`);
  t.equal(Math.round(r.lagSeconds), Math.round(lag), 'the reporter says the same');
  await r.stop();
  t.equal(await gauge(telemetry), 0, 'a stopped reporter leaves the gauge at 0');
});

t.test('a backlog found in the spool keeps its age; once delivered the lag is 0', async (t) => {
  const dir = tmp(t);
  const first = reporter(await deadUrl(), dir);
  await first.r.start();
  const formed = Date.now();
  first.store.set({ name: 'g', help: '', type: 'gauge' }, {}, 1);
  await first.r.flush();
  await first.r.stop();
  await sleep(1200);

  const again = reporter(await deadUrl(), dir);
  await again.r.start();
  t.ok(backlog(again.health) >= 1, 'the batch is still pending');
  const lag = await gauge(again.telemetry);
  t.ok(lag >= 1.1 && lag <= (Date.now() - formed) / 1000 + 0.01, `the replayed batch's lag (${lag} s) counts from when it was formed`);
  await again.r.stop();

  const srv = await acceptingServer();
  t.teardown(() => srv.close());
  const last = reporter(srv.url, dir);
  await last.r.start();
  t.ok(await until(() => backlog(last.health) === 0), 'the backlog is delivered');
  t.equal(await gauge(last.telemetry), 0, 'delivered: 0');
  await last.r.stop();
});

t.test('after a reload the gauge follows the new reporter, not the stopped one', async (t) => {
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const store = new Store();
  const url = await deadUrl();
  const first = reporter(url, tmp(t), {}, store, telemetry);
  await first.r.start();
  store.set({ name: 'g', help: '', type: 'gauge' }, {}, 1);
  await first.r.flush();
  const second = reporter(url, tmp(t), {}, store, telemetry);
  await second.r.start();
  await first.r.stop(); // stopped after the new one started, as a reload does
  t.equal(await gauge(telemetry), 0, "the new reporter's empty queue, not the old one's");
  store.set({ name: 'g', help: '', type: 'gauge' }, {}, 2);
  await second.r.flush();
  await sleep(1100);
  t.ok((await gauge(telemetry)) >= 1, "the new reporter's pending batch");
  await second.r.stop();
});
