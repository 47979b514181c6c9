// OTLP/gRPC from the OpenTelemetry JS SDK's gRPC exporter, with gzip, delta temporality, and a malformed message.
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { startOtlpAgent } from './helpers';

t.test('the SDK gRPC exporter reaches /metrics', async (t) => {
  const agent = await startOtlpAgent();
  t.teardown(() => agent.stop());
  t.match(agent.otlpGrpc, /^127\.0\.0\.1:\d+$/);
  const exporter = new OTLPMetricExporter({ url: `http://${agent.otlpGrpc}`, compression: CompressionAlgorithm.GZIP, temporalityPreference: AggregationTemporality.DELTA });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'worker' }), readers: [reader] });
  t.teardown(() => provider.shutdown());
  const meter = provider.getMeter('m');
  const jobs = meter.createCounter('jobs.processed');
  jobs.add(2, { kind: 'a' });
  await reader.forceFlush();
  jobs.add(5, { kind: 'a' });
  await reader.forceFlush();
  t.equal(await agent.sample('jobs_processed_total{job="worker",kind="a",otel_scope_name="m"}'), 7);
  t.match(await agent.agent.telemetry.registry.getSingleMetricAsString('outrider_otlp_data_points_total'), /transport="grpc"\} 2/);
});

t.test('a malformed message is INVALID_ARGUMENT', async (t) => {
  const agent = await startOtlpAgent();
  t.teardown(() => agent.stop());
  const client = new grpc.Client(agent.otlpGrpc, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const err = await new Promise<grpc.ServiceError | null>((resolve) =>
    client.makeUnaryRequest(
      '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from([0x0a, 0x05, 0x01]),
      (e) => resolve(e),
    ),
  );
  t.equal(err?.code, grpc.status.INVALID_ARGUMENT);
  t.match(err?.details, /malformed ExportMetricsServiceRequest/);
});
