/**
 * Aggregator ingest: 1,000 simulated agents (AGENTS) with SERIES series each send steady-state batches (ids only,
 * cumulative counters and gauges) to a real `outrider aggregator` process on loopback; reports samples/s and samples
 * per CPU-second of the aggregator process (its own process_cpu_seconds_total), i.e. per core.
 * The aggregator writes its merged store when it is read, so the measured window ends with a scrape of /metrics (the
 * whole merged store written and rendered, counted in the aggregator's CPU); SCRAPE_MS=N also scrapes every N ms
 * during the run, like a Prometheus with that scrape interval.
 * Run: node dist/bench/report-aggregator.js   (AGENTS=1000 SERIES=200 ROUNDS=60 CONNS=32 SCRAPE_MS=15000)
 * Profile: start `node --cpu-prof bin/outrider.js aggregator --listen 127.0.0.1:PORT --state-dir DIR` yourself and
 * pass AGG_URL=http://127.0.0.1:PORT (the bench then uses it instead of starting one; stop it with SIGTERM).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { compressSync } from '../agent/wire/codec';
import { Codec, encodeFrame, FrameKind } from '../agent/wire/frame';
import { encodePayload } from '../agent/wire/payload';
import { benchAggregator, settledAggregatorCpuSeconds } from './report-fixture';

const AGENTS = Number(process.env.AGENTS ?? 1000);
const SERIES = Number(process.env.SERIES ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 60);
const CONNS = Number(process.env.CONNS ?? 32);
const SCRAPE_MS = Number(process.env.SCRAPE_MS ?? 15_000);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-bench-agg-'));
  const agg = await benchAggregator(dir, ['--aggregator.commit-interval', '5ms']);
  const url = agg.url;
  const families = [
    { fid: 1, name: 'app_requests_total', type: 'counter' as const, help: 'Requests.' },
    { fid: 2, name: 'app_queue_depth', type: 'gauge' as const, help: 'Queue depth.' },
  ];
  const series = Array.from({ length: SERIES }, (_, i) => ({ sid: i + 1, fid: i % 2 ? 2 : 1, labels: ['handler', `/h${i % 50}`, 'code', String(200 + (i % 4)), 'shard', String(i)] }));
  const epoch = Date.now();
  const frameFor = (agent: number, round: number, defs: boolean): Buffer => {
    const scalars: number[] = [];
    for (let i = 1; i <= SERIES; i++) scalars.push(i, round * 10 + (i % 7));
    const raw = encodePayload({ agentId: `agent-${agent}`, sentMs: Date.now(), meta: { version: 'bench' }, families: defs ? families : [], series: defs ? series : [], scalars, dists: [] });
    return encodeFrame(FrameKind.batch, Codec.deflate, epoch, round, compressSync(Codec.deflate, raw, 1));
  };
  const pool = new Pool(url, { connections: CONNS, pipelining: 1 });
  const send = async (body: Buffer) => {
    const res = await pool.request({ path: '/api/v1/ingest', method: 'POST', body, headers: { 'content-type': 'application/x-outrider-batch' } });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  };
  const runRound = async (frames: Buffer[]) => {
    let i = 0;
    await Promise.all(
      Array.from({ length: CONNS }, async () => {
        while (i < frames.length) await send(frames[i++]!);
      }),
    );
  };
  // Round 1 carries the definitions (not timed).
  await runRound(Array.from({ length: AGENTS }, (_, a) => frameFor(a, 1, true)));
  const rounds: Buffer[][] = [];
  for (let r = 2; r < 2 + ROUNDS; r++) rounds.push(Array.from({ length: AGENTS }, (_, a) => frameFor(a, r, false)));
  // From an idle aggregator: what round 1 left it to do is not counted in the window.
  const cpu0 = await settledAggregatorCpuSeconds(url);
  const t0 = process.hrtime.bigint();
  let scrapes = 0;
  const scrape = async () => {
    const text = await (await fetch(url + '/metrics')).text();
    scrapes++;
    return text;
  };
  const scraper = SCRAPE_MS > 0 ? setInterval(() => void scrape(), SCRAPE_MS) : undefined;
  for (const frames of rounds) await runRound(frames);
  clearInterval(scraper);
  const last = await scrape();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const merged = (last.match(/^app_queue_depth\{/gm) ?? []).length;
  if (merged !== AGENTS * (SERIES >> 1)) throw new Error(`the last scrape shows ${merged} per-agent gauges, expected ${AGENTS * (SERIES >> 1)}`);
  // Until it is idle again: what the window's batches left it to do is counted.
  const cpu1 = await settledAggregatorCpuSeconds(url);
  const samples = AGENTS * SERIES * ROUNDS;
  const cpu = cpu1 - cpu0;
  console.log(`${AGENTS} agents x ${SERIES} series x ${ROUNDS} rounds = ${samples} samples in ${secs.toFixed(2)} s over ${CONNS} connections, ${scrapes} scrape(s) of /metrics`);
  console.log(`wall: ${(samples / secs).toFixed(0)} samples/s   aggregator CPU: ${cpu.toFixed(2)} s = ${(samples / cpu).toFixed(0)} samples per CPU-second (per core)   target >= 1,000,000`);
  await pool.close();
  await agg.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
