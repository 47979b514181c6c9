/**
 * The crash window under bounded StatsD load: a real agent reporting to a real `outrider aggregator` on loopback is
 * killed with SIGKILL CRASHES times and restarted on the same spool; after each restart's replay the aggregator's
 * count is compared with what was sent. Prints, per configuration, the traffic lost per crash (ms at the send rate)
 * and what the configuration costs while it runs: the agent's CPU and the batches the aggregator takes per minute.
 *
 * Run: node dist/bench/crash-window.js                 (the defaults: statsd.flush_interval 10s, report.interval 10s)
 *      CONFIGS=1s/1s,10s/10s,10s/1s CRASHES=3 RATE=500 node dist/bench/crash-window.js
 * A configuration is statsd.flush_interval/report.interval; lives last 1.3 to 2.3 intervals, at different phases.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDurationMs } from '../agent/config/units';
import { freePort, Proc, samples, sleep, start } from '../test/e2e/procs';
import { cpuSeconds } from './proc-sample';

const CONFIGS = (process.env.CONFIGS ?? '10s/10s').split(',');
const CRASHES = Number(process.env.CRASHES ?? 3);
const RATE = Number(process.env.RATE ?? 500);

async function scalar(url: string, name: string): Promise<number> {
  try {
    return [...samples(await (await fetch(url + '/metrics')).text(), name).values()].reduce((a, b) => a + b, 0);
  } catch {
    return -1;
  }
}

async function settled(aggUrl: string): Promise<number> {
  let last = -2;
  let same = 0;
  for (let i = 0; i < 400 && same < 4; i++) {
    const v = await scalar(aggUrl, 'bench_crash_ops_total');
    same = v === last ? same + 1 : 0;
    last = v;
    await sleep(200);
  }
  return last;
}

async function run(config: string): Promise<void> {
  const [flush, report] = config.split('/') as [string, string];
  const flushMs = parseDurationMs(flush)!;
  const reportMs = parseDurationMs(report)!;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-bench-crash-'));
  const port = await freePort();
  const aggUrl = `http://127.0.0.1:${port}`;
  const procs: Proc[] = [];
  const agg = start(['aggregator', '--listen', `127.0.0.1:${port}`, '--state-dir', path.join(base, 'agg')]);
  procs.push(agg);
  await agg.waitFor(/aggregator is ready/);
  const agent = async () => {
    const p = start([
      'agent',
      '--listen',
      '127.0.0.1:0',
      '--report-to',
      aggUrl,
      '--spool-dir',
      path.join(base, 'spool'),
      '--agent-id',
      'bench',
      '--statsd.flush-interval',
      flush,
      '--report.interval',
      report,
    ]);
    procs.push(p);
    const l = await p.waitFor(/StatsD listener is ready/);
    const r = await p.waitFor(/agent is ready/);
    return { p, url: String(r.url), statsd: Number(String(l.address).split(':').pop()) };
  };
  const sock = dgram.createSocket('udp4');
  const msg = Buffer.from('bench.crash.ops:1|c');
  const losses: number[] = [];
  let cpu = 0;
  let requests = 0;
  let lived = 0;
  try {
    let ag = await agent();
    const cycle = Math.max(flushMs, reportMs);
    for (let crash = 0; crash < CRASHES; crash++) {
      const before = Math.max(0, await settled(aggUrl));
      let sent = 0;
      const t0 = Date.now();
      const cpu0 = cpuSeconds(ag.p.child.pid!);
      const req0 = await scalar(aggUrl, 'outrider_aggregator_requests_total');
      const timer = setInterval(() => {
        const want = Math.min(100, Math.floor(((Date.now() - t0) * RATE) / 1000) - sent);
        for (let i = 0; i < want; i++) sock.send(msg, ag.statsd, '127.0.0.1');
        sent += want;
      }, 5);
      await sleep(cycle * (1.3 + crash / Math.max(1, CRASHES)));
      clearInterval(timer);
      requests += Math.max(0, (await scalar(aggUrl, 'outrider_aggregator_requests_total')) - Math.max(0, req0));
      cpu += cpuSeconds(ag.p.child.pid!) - cpu0;
      lived += Date.now() - t0;
      await ag.p.kill9();
      ag = await agent();
      const after = await settled(aggUrl);
      losses.push(((sent - (after - before)) * 1000) / RATE);
    }
    await ag.p.stop();
  } finally {
    sock.close();
    for (const p of procs) await p.kill9();
    fs.rmSync(base, { recursive: true, force: true });
  }
  const max = Math.max(...losses);
  const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
  console.log(
    `${config.padEnd(10)} loss per crash: mean ${(mean / 1000).toFixed(2)} s, max ${(max / 1000).toFixed(2)} s (bound ${((flushMs + reportMs) / 1000).toFixed(1)} s; ` +
      `one StatsD interval ${(flushMs / 1000).toFixed(1)} s)  agent CPU ${((cpu / (lived / 1000)) * 100).toFixed(2)} %  batches/min ${((requests / lived) * 60_000).toFixed(1)}  [${losses.map((l) => (l / 1000).toFixed(2)).join(', ')}]`,
  );
}

async function main(): Promise<void> {
  console.log(`${CRASHES} crashes per configuration, ${RATE} StatsD packets/s (statsd.flush_interval/report.interval)`);
  for (const c of CONFIGS) await run(c);
}

void main();
