/**
 * The crash window, measured: a real agent under bounded StatsD load reporting to a real aggregator is killed with
 * SIGKILL a few times and restarted on the same spool; after each restart's replay, what the aggregator counted is
 * compared with what was sent. Each crash may lose at most the documented window (docs/spool.md, Durability window):
 * with statsd.flush_interval ≥ report.interval the reporter follows StatsD's flush, so one StatsD interval (plus the
 * time to encode and append), not two.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { freePort, Proc, samples, sleep, start } from './procs';

const FLUSH_MS = 600;
const REPORT_MS = 600;
/** Encoding, appending and the kill itself; the bound asserted is FLUSH_MS + this. */
const SLACK_MS = 250;
const RATE_PER_S = 200;
const CRASHES = 4;

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-crash-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const procs: Proc[] = [];
t.teardown(async () => {
  for (const p of procs) await p.kill9();
});

/** Sends `crash.ops:1|c` at RATE_PER_S to one port until stopped; counts what it handed to the kernel. */
class Sender {
  sent = 0;
  readonly #sock = dgram.createSocket('udp4');
  #timer: NodeJS.Timeout | undefined;
  start(port: number): void {
    const msg = Buffer.from('crash.ops:1|c');
    const t0 = Date.now();
    let due = 0;
    this.#timer = setInterval(() => {
      // Catch up on timer lateness so the rate holds under load (bounded: at most 50 packets per tick).
      const want = Math.min(50, Math.floor(((Date.now() - t0) * RATE_PER_S) / 1000) - due);
      for (let i = 0; i < want; i++) this.#sock.send(msg, port, '127.0.0.1');
      due += want;
      this.sent += want;
    }, 5);
  }
  stop(): void {
    clearInterval(this.#timer);
  }
  close(): void {
    this.stop();
    this.#sock.close();
  }
}

async function counted(aggUrl: string): Promise<number> {
  try {
    const m = samples(await (await fetch(aggUrl + '/metrics')).text(), 'crash_ops_total');
    return [...m.values()].reduce((a, b) => a + b, 0);
  } catch {
    return -1;
  }
}

/** The aggregator's count once it stopped moving (the restarted agent's replay is in). */
async function settled(aggUrl: string): Promise<number> {
  let last = -2;
  let same = 0;
  for (let i = 0; i < 200 && same < 4; i++) {
    const v = await counted(aggUrl);
    same = v === last ? same + 1 : 0;
    last = v;
    await sleep(150);
  }
  return last;
}

t.test(`kill -9 under StatsD load loses at most one StatsD interval per crash (${CRASHES} crashes)`, async (t) => {
  const port = await freePort();
  const aggUrl = `http://127.0.0.1:${port}`;
  const agg = start(['aggregator', '--listen', `127.0.0.1:${port}`, '--state-dir', tmp(), '--aggregator.commit-interval', '2ms']);
  procs.push(agg);
  await agg.waitFor(/aggregator is ready/);
  const spool = tmp();
  const agent = async () => {
    const p = start([
      'agent',
      '--listen',
      '127.0.0.1:0',
      '--report-to',
      aggUrl,
      '--spool-dir',
      spool,
      '--agent-id',
      'crash-agent',
      '--statsd.flush-interval',
      `${FLUSH_MS}ms`,
      '--report.interval',
      `${REPORT_MS}ms`,
      '--collectors.interval',
      '5s',
    ]);
    procs.push(p);
    const l = await p.waitFor(/StatsD listener is ready/);
    await p.waitFor(/agent is ready/);
    return { p, statsdPort: Number(String(l.address).split(':').pop()) };
  };
  const sender = new Sender();
  t.teardown(() => sender.close());
  const lossesMs: number[] = [];
  let ag = await agent();
  for (let crash = 0; crash < CRASHES; crash++) {
    const before = await settled(aggUrl);
    const sentBefore = sender.sent;
    sender.start(ag.statsdPort);
    // Lives of different lengths put the kill at different points of the flush cycle.
    await sleep(1500 + crash * 170);
    sender.stop();
    await ag.p.kill9();
    const sentThisLife = sender.sent - sentBefore;
    ag = await agent();
    const after = await settled(aggUrl);
    const lost = sentThisLife - (after - Math.max(0, before));
    lossesMs.push((lost * 1000) / RATE_PER_S);
    t.ok(lost >= 0, `crash ${crash + 1}: counted ${after - Math.max(0, before)} of ${sentThisLife} sent`);
  }
  // A last life ends with SIGTERM: everything received is delivered, so the counts meet exactly.
  const before = await settled(aggUrl);
  const sentBefore = sender.sent;
  sender.start(ag.statsdPort);
  await sleep(1000);
  sender.stop();
  await sleep(50);
  t.equal(await ag.p.stop(), 0, 'the agent stops cleanly');
  t.equal((await settled(aggUrl)) - before, sender.sent - sentBefore, 'a clean stop loses nothing');
  t.comment(`loss per crash (ms of traffic): ${lossesMs.map((x) => x.toFixed(0)).join(', ')}`);
  for (const [i, ms] of lossesMs.entries()) {
    t.ok(ms <= FLUSH_MS + SLACK_MS, `crash ${i + 1} lost ${ms.toFixed(0)} ms of traffic; the bound is statsd.flush_interval (${FLUSH_MS} ms) + ${SLACK_MS} ms`);
  }
  await agg.stop();
});
