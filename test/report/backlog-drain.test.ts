/**
 * Recovery after an outage: the backlog a live agent built while the aggregator was down drains in no more requests
 * than a restarted agent needs to replay the same spool, and the batches cut after the outage are full size again.
 * Requests and batches are counted, not timed.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { testReporter } from './reporter-helper';
import { Health } from '../../agent/core/component';
import type { Telemetry } from '../../agent/core/telemetry';
import type { ReporterOptions } from '../../agent/report/reporter';
import { startAggregator, tmpDir } from '../aggregator/helpers';

// The reporter's timers are unref'd: keep the process alive while a test waits on them.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

const SERIES = 1500;
const MAX_BATCH = 500;

function reporter(url: string, spoolDir: string) {
  const over: Partial<ReporterOptions> = {
    agentId: 'drainer',
    drainMs: 100,
    maxBatchSamples: MAX_BATCH,
    maxInFlight: 4,
    maxMemoryBytes: 64 << 20,
    sendfileMinBytes: 0,
    replayMaxBodyBytes: 1 << 20,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    // Loaded test machines answer slowly; the point here is the outage, not congestion.
    targetLatencyMs: 5000,
  };
  return testReporter(url, { spool: { dir: spoolDir, maxBytes: 1 << 26, segmentBytes: 1 << 22, policy: 'stop_accepting', syncIntervalMs: 50, writeThrough: false } }, over);
}

const backlog = (h: Health) => Number(h.get('report')?.info?.backlog_batches ?? -1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(fn: () => boolean, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await sleep(10);
  return fn();
}

async function metric(tel: Telemetry, name: string, labels = ''): Promise<number> {
  const text = await tel.registry.getSingleMetricAsString(name.replace(/_count$/, ''));
  const m = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
const requests = (tel: Telemetry) => metric(tel, 'outrider_report_send_duration_seconds_count');
const acked = (tel: Telemetry) => metric(tel, 'outrider_report_batches_total', '{result="acked"}');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test('after an outage the live agent drains its backlog in no more requests than a restart replays it', async (t) => {
  const dir = tmpDir(t, 'outrider-drain-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const live = reporter(url, path.join(dir, 'live'));
  await live.r.start();
  t.teardown(() => live.r.stop());
  const family = { name: 'drain_ops_total', help: 'h', type: 'counter' as const };
  // The aggregator is down: every flush's batches wait (in memory and in the spool) while retries fail and AIMD
  // shrinks the batch size.
  const flushes = 12;
  for (let i = 1; i <= flushes; i++) {
    for (let k = 0; k < SERIES; k++) live.store.set(family, { k: String(k) }, i);
    await live.r.flush();
    await sleep(40);
  }
  const waiting = backlog(live.health);
  t.ok(waiting > flushes * (SERIES / MAX_BATCH), `${waiting} batches wait, more than at full size: the outage shrank the batches`);
  // The same spool as a restart would find it.
  fs.cpSync(path.join(dir, 'live'), path.join(dir, 'restart'), { recursive: true });

  const before = await requests(live.telemetry);
  const agg = await startAggregator(path.join(dir, 'agg-live'), { listen: `127.0.0.1:${port}`, maxBodyBytes: 1 << 20 });
  t.teardown(() => agg.stop());
  t.ok(await until(() => backlog(live.health) === 0, 60_000), 'the live backlog drains');
  const liveRequests = (await requests(live.telemetry)) - before;

  // After recovery a flush is cut at full size again.
  const ackedBefore = await acked(live.telemetry);
  for (let k = 0; k < SERIES; k++) live.store.set(family, { k: String(k) }, flushes + 1);
  await live.r.flush();
  t.ok(await until(() => backlog(live.health) === 0), 'the next flush is delivered');
  t.equal((await acked(live.telemetry)) - ackedBefore, SERIES / MAX_BATCH, 'and it went in full-size batches');
  await live.r.stop();

  const agg2 = await startAggregator(path.join(dir, 'agg-restart'), { maxBodyBytes: 1 << 20 });
  t.teardown(() => agg2.stop());
  const restarted = reporter(agg2.url(), path.join(dir, 'restart'));
  await restarted.r.start();
  t.ok(await until(() => backlog(restarted.health) === 0, 60_000), 'the restart replays the same backlog');
  const replayRequests = await requests(restarted.telemetry);
  await restarted.r.stop();
  t.comment(`live drain: ${liveRequests} requests; restart replay: ${replayRequests} requests; ${waiting} batches`);
  // The first request after the outage is a probe the breaker lets through alone (one record); allow it.
  t.ok(liveRequests <= replayRequests + 1, `the live agent needed ${liveRequests} requests, a restart ${replayRequests}`);
  t.ok(liveRequests < waiting / 4, 'far fewer requests than batches');
  for (const a of [agg, agg2]) {
    const text = await (await fetch(a.url() + '/metrics')).text();
    t.match(text, new RegExp(`\\ndrain_ops_total\\{[^}]*k="7"[^}]*\\} ${a === agg ? flushes + 1 : flushes}\\n`), 'the aggregator holds the last value');
  }
});
