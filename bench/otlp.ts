/**
 * OTLP ingest cost, in process: one ExportMetricsServiceRequest of 10k gauge and counter series (built with the
 * OpenTelemetry JS SDK's own protobuf serialiser), decoded alone and decoded + written into a store, repeated.
 * Reports data points per second on one core for each, so the share of protobuf decoding is visible; then the
 * same through the receiver's own decoder (receive-proto.ts: Gauge and Sum streams cached by their attribute bytes,
 * written through kept store handles), which is what the agent runs for protobuf bodies.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/otlp.js
 */
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { decodeMetricsRequest } from '../agent/collectors/otlp/decode-proto';
import { DeltaTable } from '../agent/collectors/otlp/delta';
import { receiveMetricsRequest } from '../agent/collectors/otlp/receive-proto';
import { StreamCache } from '../agent/collectors/otlp/stream-cache';
import { OtlpTranslator } from '../agent/collectors/otlp/translate';
import { Store } from '../agent/store/store';

const kSeries = 10_000;

async function body(): Promise<Buffer> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'bench', 'service.instance.id': 'i-1' }), readers: [reader] });
  const meter = provider.getMeter('bench');
  // Ten instruments of 1000 series each: the SDK keeps at most 2000 series per instrument by default.
  for (let k = 0; k < 5; k++) {
    const c = meter.createCounter(`requests.${k}`);
    const g = meter.createGauge(`queue.depth.${k}`);
    for (let i = 0; i < kSeries / 10; i++) {
      c.add(i + 1, { route: `/r/${i}`, method: 'GET' });
      g.record(i, { queue: `q${i}`, shard: String(i % 16) });
    }
  }
  await reader.forceFlush();
  const rm = exporter.getMetrics()[0] as ResourceMetrics;
  await provider.shutdown();
  return Buffer.from(ProtobufMetricsSerializer.serializeRequest(rm)!);
}

function rate(label: string, points: number, fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  const start = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let runs = 0;
  while (Number(process.hrtime.bigint() - t0) < 3e9) {
    fn();
    runs++;
  }
  const cpu = process.cpuUsage(start);
  const perSec = (points * runs) / ((cpu.user + cpu.system) / 1e6);
  console.log(`${label.padEnd(28)} ${(perSec / 1e6).toFixed(2)} M points/s per core (${runs} requests of ${points} points)`);
  return perSec;
}

async function main(): Promise<void> {
  const buf = await body();
  const points = decodeMetricsRequest(buf)[0]!.scopes[0]!.metrics.reduce((n, m) => n + m.points.length, 0);
  console.log(`request: ${buf.length} bytes, ${points} data points`);
  const decode = rate('decode', points, () => decodeMetricsRequest(buf));
  const store = new Store({ maxSeries: 1_000_000 });
  const tr = new OtlpTranslator({ store, streams: new DeltaTable(100_000, 600_000), promote: [], quantiles: [0.5, 0.9] });
  const full = rate('decode + translate + store', points, () => tr.write(decodeMetricsRequest(buf)));
  console.log(`decoding is ${((full / decode) * 100).toFixed(0)}% of the time of a full ingest`);
  const cache = new StreamCache();
  const rstore = new Store({ maxSeries: 1_000_000 });
  const rtr = new OtlpTranslator({ store: rstore, streams: new DeltaTable(100_000, 600_000), promote: [], quantiles: [0.5, 0.9] });
  const rdecode = rate('receiver decode (cached)', points, () => receiveMetricsRequest(buf, cache, rtr));
  const rfull = rate('receiver decode + store', points, () => rtr.writeReceived(receiveMetricsRequest(buf, cache, rtr)));
  console.log(`receiver: decode ${(rdecode / decode).toFixed(1)}x, decode + translate + store ${(rfull / full).toFixed(1)}x the full decoder's path`);
}

void main();
