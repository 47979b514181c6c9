/**
 * A reporter that drops every batch it forms is not ready: /readyz names the reason, and it is ready again once a
 * flush keeps a batch. Timing: the flush request a writer sends (StatsD's flush) is taken at once when the last flush
 * is an interval old, and the timer does not run just before the next request.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { testReporter } from './reporter-helper';
import { requestFlush } from '../../agent/core/flush-request';
import { Codec } from '../../agent/wire/frame';

const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-ready-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
const fam = { name: 'ready_ops_total', help: 'h', type: 'counter' as const };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('every batch dropped (a level deflate does not have): not ready, with the reason', async (t) => {
  const a = testReporter('http://127.0.0.1:9', { spool: undefined }, { codec: Codec.deflate, compressionLevel: 11 });
  await a.r.start();
  t.equal(a.health.get('report')?.ready, true, 'ready before the first batch');
  a.store.set(fam, {}, 1);
  await a.r.flush();
  const h = a.health.get('report');
  t.equal(h?.ready, false, 'not ready once a flush kept none of its batches');
  t.match(h?.detail, /^every batch is dropped \(encode: /);
  await a.r.stop();
});

t.test('a full spool refusing every batch is not ready', async (t) => {
  const dir = tmp();
  const a = testReporter(
    'http://127.0.0.1:9',
    {
      spool: { dir, maxBytes: 16 * 1024, segmentBytes: 16 * 1024, policy: 'stop_accepting', syncIntervalMs: 50, writeThrough: false },
    },
    { codec: Codec.none, maxMemoryBytes: 1 << 20 },
  );
  await a.r.start();
  let i = 0;
  while (a.health.get('report')?.ready !== false && i < 200) {
    for (let k = 0; k < 20; k++) a.store.set(fam, { k: `${i}-${k}`, pad: 'x'.repeat(60) }, i);
    i++;
    await a.r.flush();
  }
  t.equal(a.health.get('report')?.ready, false, `not ready after ${i} flushes filled the spool`);
  t.match(a.health.get('report')?.detail, /^every batch is dropped \(spool_full: /);
  await a.r.stop();
});

t.test('a writer flush request is taken at once when the last flush is an interval old, and not twice', async (t) => {
  const a = testReporter('http://127.0.0.1:9', { spool: undefined }, { intervalMs: 3000 });
  const t0 = Date.now();
  await a.r.start();
  const batches = () => Number(a.health.get('report')?.info?.backlog_batches ?? 0);
  const until = async (fn: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!fn() && Date.now() < end) await sleep(10);
    return fn();
  };
  await sleep(2400); // past the interval less the guard (3000 - 750), before the first timer (3000 + 750)
  a.store.set(fam, {}, 1);
  requestFlush(a.store);
  t.ok(await until(() => batches() === 1, 1000), 'flushed at the request');
  t.ok(Date.now() - t0 < 3750, 'before the timer would have');
  a.store.set(fam, {}, 2);
  requestFlush(a.store);
  await sleep(300);
  t.equal(batches(), 1, 'a second request right after is left to the next flush');
  await a.r.stop();
});
