/**
 * OTLP/HTTP ingest over loopback, the agent as deployed beside vmagent in the same run. REQUESTS
 * ExportMetricsServiceRequests of 10k series (5 counters and 5 gauges of 1000 series, cumulative, serialised by the
 * OpenTelemetry JS SDK's own protobuf serialiser; values move between requests) are posted, two in flight, to the
 * agent's `POST /v1/metrics` (http/protobuf; host collectors, StatsD, remote write receive and the local history off).
 * The receiver's CPU seconds (utime + stime, /proc/<pid>/stat, read 2 s after the last answer so background work is
 * counted) give data points per CPU-second; its peak RSS is VmHWM.
 *
 * The peer: vmagent's `/opentelemetry/v1/metrics` when the installed vmagent answers it (OTLP came in 1.92). When it
 * does not (Debian's 1.79.5), a stand-in, labelled as such: the same vmagent ingesting the same points as remote
 * write 1.0 (snappy) on its `/api/v1/write` (each request's points as the agent stores them, names and labels
 * translated), forwarding to a null sink. That is a lighter wire format (no OTLP nesting, no translation), so the
 * stand-in is not the named peer.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/otlp-ingest.js      # REQUESTS=40
 *
 * The agent runs through its launcher as a program (the deployed Node flags; OUTRIDER_BUNDLE=0 runs dist/ even when
 * a bundle is built); AGENT_BIN runs another build's bin/outrider.js, for before / after in one sitting.
 * AGENT_NODE_FLAGS (e.g. "--max-semi-space-size=2 --cpu-prof --cpu-prof-dir=/tmp/prof") runs it as
 * `node FLAGS bin/outrider.js` instead, and stops it with SIGTERM so that a CPU profile is written on its way out.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { decodeMetricsRequest } from '../agent/collectors/otlp/decode-proto';
import { DeltaTable } from '../agent/collectors/otlp/delta';
import { OtlpTranslator } from '../agent/collectors/otlp/translate';
import { encodeRemoteWrite } from '../agent/report/remote-write/output';
import type { RwSeries } from '../agent/report/remote-write/protobuf';
import { Store } from '../agent/store/store';
import { cpuOfRequests, freePort, peakRssMiB, waitListening } from './proc-sample';

const kSeries = 10_000;
const kRequests = Number(process.env.REQUESTS ?? 40);
const bin = process.env.AGENT_BIN ?? path.resolve(__dirname, '..', '..', 'bin', 'outrider.js');

/** REQUESTS OTLP bodies from the SDK: each collection after every counter grew and every gauge moved. */
async function otlpBodies(): Promise<Buffer[]> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'bench', 'service.instance.id': 'i-1' }), readers: [reader] });
  const meter = provider.getMeter('bench');
  const counters = [0, 1, 2, 3, 4].map((k) => meter.createCounter(`requests.${k}`));
  const gauges = [0, 1, 2, 3, 4].map((k) => meter.createGauge(`queue.depth.${k}`));
  const out: Buffer[] = [];
  for (let r = 0; r < kRequests; r++) {
    for (let k = 0; k < 5; k++) {
      for (let i = 0; i < kSeries / 10; i++) {
        counters[k]!.add(i + 1, { route: `/r/${i}`, method: 'GET' });
        gauges[k]!.record(i + r, { queue: `q${i}`, shard: String(i % 16) });
      }
    }
    await reader.forceFlush();
    const all = exporter.getMetrics();
    out.push(Buffer.from(ProtobufMetricsSerializer.serializeRequest(all[all.length - 1] as ResourceMetrics)!));
    exporter.reset();
  }
  await provider.shutdown();
  return out;
}

/** The same points as remote write 1.0: each body translated as the agent stores it, one sample per series. */
async function remoteWriteBodies(bodies: Buffer[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const b of bodies) {
    const store = new Store({ maxSeries: 1_000_000 });
    new OtlpTranslator({ store, streams: new DeltaTable(100_000, 600_000), promote: [], quantiles: [0.5] }).write(decodeMetricsRequest(b));
    const series: RwSeries[] = [];
    const now = Date.now();
    for (const fam of store.families())
      for (const s of fam.series.values()) {
        const labels = [['__name__', fam.name] as const, ...Object.entries(s.labels)].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
        series.push({ labels, samples: [[s.value, now]] });
      }
    out.push(await encodeRemoteWrite(series));
  }
  return out;
}

interface Row {
  name: string;
  pointsPerCpuS: number;
  peakMiB: number;
}

async function measure(name: string, url: string, headers: Record<string, string>, child: ChildProcess, reqs: Buffer[], points: number): Promise<Row> {
  const post = async (b: Buffer) => {
    const res = await fetch(url, { method: 'POST', body: b, headers });
    const text = Buffer.from(await res.arrayBuffer());
    if (res.status !== 204 && res.status !== 200) throw new Error(`${name} answered ${res.status}: ${text.toString('latin1').slice(0, 200)}`);
    // An OTLP partial success (field 1: rejected_data_points) would mean the points were not all stored.
    if (url.endsWith('/v1/metrics') && text.length > 0 && text[0] === 0x0a) throw new Error(`${name} answered a partial success`);
  };
  const cpu = await cpuOfRequests(child.pid!, reqs, post);
  const row = { name, pointsPerCpuS: ((reqs.length - 1) * points) / cpu, peakMiB: peakRssMiB(child.pid!) };
  await stop(child);
  return row;
}

/** Ends a receiver: SIGTERM (an agent with --cpu-prof writes its profile), SIGKILL after 10 s. */
async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function startVmagent(dir: string, sinkUrl: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn('vmagent', [`-httpListenAddr=127.0.0.1:${port}`, `-remoteWrite.url=${sinkUrl}`, `-remoteWrite.tmpDataPath=${path.join(dir, 'vmagent')}`, '-loggerLevel=ERROR'], {
    stdio: 'inherit',
  });
  await waitListening(port, child);
  return { child, base: `http://127.0.0.1:${port}` };
}

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v vmagent']).status !== 0) throw new Error('vmagent is not installed (apt-get install victoria-metrics)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-bench-otlp-'));
  const bodies = await otlpBodies();
  const points = decodeMetricsRequest(bodies[0]!)[0]!.scopes.reduce((n, s) => n + s.metrics.reduce((m, x) => m + x.points.length, 0), 0);
  const rw = await remoteWriteBodies(bodies);
  const sinkServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => sinkServer.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sinkServer.address() as net.AddressInfo).port}/api/v1/write`;
  const rows: Row[] = [];
  let peer = 'none';
  try {
    const otlpPort = await freePort();
    const cfg = path.join(dir, 'outrider.yml');
    fs.writeFileSync(
      cfg,
      [
        'collectors: { enabled: [] }',
        'statsd: { enabled: false }',
        'history: { enabled: false }',
        'analysis: { enabled: false }',
        `otlp: { http: { listen: "127.0.0.1:${otlpPort}" }, grpc: { listen: "" } }`,
      ].join('\n'),
    );
    const agentArgs = ['agent', '--config', cfg, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
    const flags = process.env.AGENT_NODE_FLAGS?.split(' ').filter((f) => f !== '');
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    const agent = flags ? spawn(process.execPath, [...flags, bin, ...agentArgs], { stdio: 'inherit', env }) : spawn(bin, agentArgs, { stdio: 'inherit', env });
    await waitListening(otlpPort, agent);
    rows.push(await measure('outrider agent, OTLP', `http://127.0.0.1:${otlpPort}/v1/metrics`, { 'Content-Type': 'application/x-protobuf' }, agent, bodies, points));

    // Does the installed vmagent take OTLP? One request decides which peer runs.
    let vm = await startVmagent(dir, sinkUrl);
    const probe = await fetch(`${vm.base}/opentelemetry/v1/metrics`, { method: 'POST', body: bodies[0], headers: { 'Content-Type': 'application/x-protobuf' } });
    const probeText = (await probe.text()).trim().slice(0, 120);
    if (probe.status === 200 || probe.status === 204) {
      peer = 'vmagent /opentelemetry/v1/metrics (the named peer)';
      vm.child.kill('SIGKILL');
      await new Promise((r) => vm.child.once('exit', r));
      vm = await startVmagent(dir, sinkUrl);
      rows.push(await measure('vmagent, OTLP', `${vm.base}/opentelemetry/v1/metrics`, { 'Content-Type': 'application/x-protobuf' }, vm.child, bodies, points));
    } else {
      peer = `stand-in: vmagent's /opentelemetry/v1/metrics answered ${probe.status} (${probeText}), so vmagent ingests the same points as remote write 1.0`;
      vm.child.kill('SIGKILL');
      await new Promise((r) => vm.child.once('exit', r));
      vm = await startVmagent(dir, sinkUrl);
      rows.push(
        await measure(
          'vmagent, RW 1.0 (stand-in)',
          `${vm.base}/api/v1/write`,
          { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
          vm.child,
          rw,
          points,
        ),
      );
    }
  } finally {
    sinkServer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Debian's build prints no version of its own: the package's, where there is one.
  const ver = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'victoria-metrics'], { encoding: 'utf8' }).stdout?.trim() || 'unknown version';
  console.log(
    `${kRequests - 1} requests of ${points} data points (OTLP ${bodies[0]!.length} bytes; remote write ${rw[0]!.length} bytes snappy), two in flight; ${os.cpus().length} CPUs, Node ${process.version}`,
  );
  console.log(`agent: ${bin}; vmagent: ${ver}; peer: ${peer}`);
  console.log('receiver                     points per CPU-second   peak RSS MiB');
  for (const r of rows) console.log(`${r.name.padEnd(28)} ${Math.round(r.pointsPerCpuS).toLocaleString('en').padStart(21)}   ${r.peakMiB.toFixed(0).padStart(12)}`);
  const [o, v] = rows as [Row, Row];
  console.log(`ratio (outrider / ${v.name}): points per CPU-second ${(o.pointsPerCpuS / v.pointsPerCpuS).toFixed(2)}x, peak RSS ${(o.peakMiB / v.peakMiB).toFixed(2)}x`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
