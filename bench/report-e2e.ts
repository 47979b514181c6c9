/**
 * End to end on loopback: an in-process reporter (the agent side: collect changes, msgpack, deflate, frame, spool,
 * send) feeding a real `outrider aggregator` process. Every flush changes every series; reports samples/s and CPU
 * seconds per million samples on each side (agent: this process's CPU; aggregator: its process_cpu_seconds_total).
 * Run: node dist/bench/report-e2e.js   (SERIES=20000 FLUSHES=30)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Health } from '../agent/core/component';
import { Config } from '../agent/config/config';
import { silentLogger } from '../agent/core/log';
import { Telemetry } from '../agent/core/telemetry';
import { Codec } from '../agent/wire/frame';
import { Reporter } from '../agent/report/reporter';
import { aggregatorCpuSeconds, benchAggregator, churn, fixtureStore } from './report-fixture';
import { agentKeys } from '../agent/keys';

const SERIES = Number(process.env.SERIES ?? 20_000);
const FLUSHES = Number(process.env.FLUSHES ?? 30);

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-bench-e2e-'));
  const agg = await benchAggregator(path.join(base, 'agg'));
  const url = agg.url;
  const store = fixtureStore(SERIES);
  const health = new Health();
  const ctx = { config: Config.defaults(agentKeys), store, log: silentLogger(), health, telemetry: new Telemetry({ runtimeMetrics: false }), paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } };
  const reporter = new Reporter(ctx, {
    agentId: 'bench',
    endpoints: [url],
    token: undefined,
    intervalMs: 3_600_000,
    fullRefreshMs: 3_600_000,
    maxBatchSamples: 10_000,
    maxBatchBytes: 1 << 20,
    maxInFlight: 4,
    timeoutMs: 30_000,
    targetLatencyMs: 1000,
    backoffBaseMs: 50,
    backoffMaxMs: 1000,
    maxMemoryBytes: 64 << 20,
    codec: Codec.deflate,
    compressionLevel: 1,
    drainMs: 5000,
    spool: { dir: path.join(base, 'spool'), maxBytes: 1 << 30, segmentBytes: 64 << 20, policy: 'drop_oldest', syncIntervalMs: 1000, writeThrough: false },
  });
  await reporter.start();
  const backlog = () => Number(health.get('report')?.info?.backlog_batches ?? 0);
  const drain = async () => {
    while (backlog() > 0) await new Promise((r) => setTimeout(r, 2));
  };
  await reporter.flush(); // definitions
  await drain();
  await new Promise((r) => setTimeout(r, 1200));
  const aggCpu0 = await aggregatorCpuSeconds(url);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let samples = 0;
  let churnUs = 0;
  for (let f = 1; f <= FLUSHES; f++) {
    const c0 = process.cpuUsage();
    samples += churn(store, 1, f);
    const c1 = process.cpuUsage(c0);
    churnUs += c1.user + c1.system;
    await reporter.flush();
    await drain();
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 1200));
  const aggCpu = (await aggregatorCpuSeconds(url)) - aggCpu0;
  const agentCpu = (cpu.user + cpu.system - churnUs) / 1e6;
  console.log(`${SERIES} series x ${FLUSHES} flushes = ${samples} samples in ${secs.toFixed(2)} s: ${(samples / secs).toFixed(0)} samples/s end to end (acknowledged)`);
  console.log(`CPU per million samples: agent ${(agentCpu / (samples / 1e6)).toFixed(2)} s (store churn excluded), aggregator ${(aggCpu / (samples / 1e6)).toFixed(2)} s`);
  await reporter.stop();
  await agg.stop();
  fs.rmSync(base, { recursive: true, force: true });
}

void main();
