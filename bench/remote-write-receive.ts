/**
 * Remote write receive beside VictoriaMetrics' own receive, in the same run: REQUESTS remote write 1.0 requests of
 * SERIES series each (snappy, pre-encoded, a new timestamp per request) are posted, two in flight, to the agent's
 * push listener (`POST /api/v1/write`; host collectors, StatsD, OTLP and the local history off) and then to a
 * `victoria-metrics` process. The receiver's CPU seconds (utime + stime, /proc/<pid>/stat, read 2 s after the last
 * answer so background work is counted) give samples per CPU-second; its peak RSS is VmHWM. Before that, the agent's
 * receive path in this process, per request (CPU ms): snappy by the TS twin and by the addon, the full decoder
 * (decode.ts) and the receiver's (receive-decode.ts, label sets cached) on the 1.0 bodies and on the same series as
 * 2.0 (protobuf only), and the store write of the decoded series (through kept handles, as the receiver writes, and
 * by labels, a setSample per series).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/remote-write-receive.js      # SERIES=10000 REQUESTS=60
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeRequestV2, decodeWriteRequestV1 } from '../agent/collectors/remote-write-receive/decode';
import { storeAll } from '../agent/collectors/remote-write-receive/index';
import { LabelCache } from '../agent/collectors/remote-write-receive/label-cache';
import { Received, receiveV1, receiveV2 } from '../agent/collectors/remote-write-receive/receive-decode';
import { snappyUncompress, snappyUncompressTs } from '../agent/native/snappy';
import { encodeRemoteWrite } from '../agent/report/remote-write/output';
import { Store } from '../agent/store/store';
import type { MetricType } from '../agent/store/types';
import type { RwSeries } from '../agent/report/remote-write/protobuf';
import { encodeRequestV2 } from '../agent/report/remote-write/protobuf-v2';
import { cpuOfRequests, freePort, peakRssMiB, waitListening } from './proc-sample';

const kSeries = Number(process.env.SERIES ?? 10_000);
const kRequests = Number(process.env.REQUESTS ?? 60);
const bin = path.resolve(__dirname, '..', '..', 'bin', 'outrider.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bodies(): Promise<{ v1: Buffer[]; v2: Buffer[] }> {
  const start = Date.now() - kRequests * 1000;
  const out: Buffer[] = [];
  const v2: Buffer[] = [];
  for (let r = 0; r < kRequests; r++) {
    const series: RwSeries[] = [];
    for (let i = 0; i < kSeries; i++)
      series.push({
        labels: [
          ['__name__', `bench_rw_${i % 50}`],
          ['id', String(i)],
          ['instance', 'bench'],
          ['job', 'rw'],
        ],
        samples: [[i + r, start + r * 1000]],
      });
    out.push(await encodeRemoteWrite(series));
    v2.push(encodeRequestV2(series));
  }
  return { v1: out, v2 };
}

async function up(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    if ((await fetch(url).catch(() => undefined))?.ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

/** CPU milliseconds per request of each step of the agent's receive path, in this process (after one warm-up request). */
function phases(reqs: Buffer[], v2: Buffer[]): Array<[string, number]> {
  const raws = reqs.map((b) => snappyUncompressTs(b));
  const cpuMs = (fn: (i: number) => void): number => {
    fn(0);
    const t0 = process.cpuUsage();
    for (let i = 1; i < reqs.length; i++) fn(i);
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1000 / (reqs.length - 1);
  };
  const cache = new LabelCache(65_536);
  const cacheV2 = new LabelCache(65_536);
  const received = raws.map((r) => receiveV1(r, cache));
  const store = new Store();
  const byLabels = new Store();
  return [
    ['snappy, TS twin', cpuMs((i) => snappyUncompressTs(reqs[i]!))],
    ['snappy, addon when loaded', cpuMs((i) => snappyUncompress(reqs[i]!))],
    ['decode: full decoder (decode.ts)', cpuMs((i) => decodeWriteRequestV1(raws[i]!))],
    ['decode: receiver (receive-decode.ts)', cpuMs((i) => receiveV1(raws[i]!, cache))],
    ['decode 2.0: full decoder', cpuMs((i) => decodeRequestV2(v2[i]!))],
    ['decode 2.0: receiver', cpuMs((i) => receiveV2(v2[i]!, cacheV2))],
    ['store write (storeAll: kept handles)', cpuMs((i) => storeAll(store, received[i]!, Date.now()))],
    ['store write by labels (setSample each)', cpuMs((i) => storeByLabels(byLabels, received[i]!, Date.now()))],
  ];
}

/** The store write without kept handles (every series looked up by its labels), the path storeAll falls back to. */
function storeByLabels(store: Store, got: Received, nowMs: number): void {
  for (let i = 0; i < got.series.length; i++) {
    const s = got.series[i]!;
    const name = s.name;
    if (name === undefined || name === '') continue;
    const declared = got.types[i];
    const type: MetricType = declared === 'counter' && name.endsWith('_total') ? 'counter' : declared === 'gauge' ? 'gauge' : 'untyped';
    const help = got.helps[i] ?? '';
    let desc = s.desc;
    if (desc === undefined || desc.type !== type || desc.help !== help) desc = { name, help, type };
    store.setSample(desc, { labels: s.labels, value: got.values[i]!, timestampMs: got.times[i]! }, nowMs);
  }
}

interface Row {
  name: string;
  samplesPerCpuS: number;
  peakMiB: number;
}

async function measure(name: string, url: string, child: ChildProcess, reqs: Buffer[]): Promise<Row> {
  // One warm-up request, then the rest two in flight.
  const post = async (b: Buffer) => {
    const res = await fetch(url, { method: 'POST', body: b, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' } });
    await res.arrayBuffer();
    if (res.status !== 204 && res.status !== 200) throw new Error(`${name} answered ${res.status}`);
  };
  const cpu = await cpuOfRequests(child.pid!, reqs, post);
  const row = { name, samplesPerCpuS: ((reqs.length - 1) * kSeries) / cpu, peakMiB: peakRssMiB(child.pid!) };
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return row;
}

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v victoria-metrics']).status !== 0) throw new Error('victoria-metrics is not installed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-bench-rw-'));
  const { v1: reqs, v2 } = await bodies();
  const steps = phases(reqs, v2);
  const rows: Row[] = [];
  try {
    const pushPort = await freePort();
    const cfg = path.join(dir, 'outrider.yml');
    fs.writeFileSync(
      cfg,
      [
        'collectors: { enabled: [] }',
        'statsd: { enabled: false }',
        'otlp: { enabled: false }',
        'history: { enabled: false }',
        'analysis: { enabled: false }',
        `push: { listen: "127.0.0.1:${pushPort}" }`,
      ].join('\n'),
    );
    const agent = spawn(process.execPath, [bin, 'agent', '--config', cfg, '--listen', '127.0.0.1:0', '--log-level', 'warn'], { stdio: 'inherit' });
    await waitListening(pushPort, agent);
    rows.push(await measure('outrider agent', `http://127.0.0.1:${pushPort}/api/v1/write`, agent, reqs));

    const vmPort = await freePort();
    const vm = spawn('victoria-metrics', [`-httpListenAddr=127.0.0.1:${vmPort}`, `-storageDataPath=${path.join(dir, 'vm')}`, '-retentionPeriod=1', '-loggerLevel=ERROR'], { stdio: 'inherit' });
    await up(`http://127.0.0.1:${vmPort}/health`, vm);
    rows.push(await measure('victoria-metrics', `http://127.0.0.1:${vmPort}/api/v1/write`, vm, reqs));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${kRequests - 1} requests of ${kSeries} series (remote write 1.0, snappy), two in flight; ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log('receiver             samples per CPU-second   peak RSS MiB');
  for (const r of rows) console.log(`${r.name.padEnd(20)} ${Math.round(r.samplesPerCpuS).toLocaleString('en').padStart(22)}   ${r.peakMiB.toFixed(0).padStart(12)}`);
  const [o, v] = rows as [Row, Row];
  console.log(`ratio (outrider / victoria-metrics): samples per CPU-second ${(o.samplesPerCpuS / v.samplesPerCpuS).toFixed(2)}x, peak RSS ${(o.peakMiB / v.peakMiB).toFixed(2)}x`);
  console.log('agent receive path in-process, CPU ms per request:');
  for (const [what, ms] of steps) console.log(`  ${what.padEnd(38)} ${ms.toFixed(2).padStart(7)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
