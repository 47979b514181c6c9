// OTLP from the real OpenTelemetry JS SDK (http/protobuf and http/json exporters), cumulative and delta temporality,
// every value checked exactly on /metrics.
import t from 'tap';
import { AggregationTemporality, AggregationType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { startOtlpAgent } from './helpers';

const resource = resourceFromAttributes({
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.instance.id': 'pod-1',
  'deployment.environment': 'prod',
});

function sdk(url: string, encoding: 'proto' | 'json', temporality: AggregationTemporality) {
  const opts = { url: url + '/v1/metrics', temporalityPreference: temporality };
  const exporter = encoding === 'proto' ? new ProtoExporter(opts) : new JsonExporter(opts);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [{ instrumentName: 'rpc.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  return { provider, reader, meter: provider.getMeter('shop-meter', '1.2.3') };
}

const ident = 'instance="pod-1",job="shop/checkout",otel_scope_name="shop-meter",otel_scope_version="1.2.3"';

for (const encoding of ['proto', 'json'] as const) {
  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    const tname = temporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative';
    t.test(`http/${encoding} with ${tname} temporality`, async (t) => {
      const agent = await startOtlpAgent();
      t.teardown(() => agent.stop());
      t.match(agent.otlpHttp, /^http:\/\/127\.0\.0\.1:\d+$/);
      const { provider, reader, meter } = sdk(agent.otlpHttp, encoding, temporality);
      t.teardown(() => provider.shutdown());

      const requests = meter.createCounter('http.server.requests', { unit: '{request}', description: 'Requests served.' });
      const inflight = meter.createUpDownCounter('http.server.active_requests', { unit: '{request}' });
      const size = meter.createHistogram('http.server.response.size', { unit: 'By', advice: { explicitBucketBoundaries: [100, 1000] } });
      const temp = meter.createGauge('room.temperature', { unit: 'Cel' });
      const latency = meter.createHistogram('rpc.latency', { unit: 'ms' });

      requests.add(3, { route: '/a' });
      requests.add(4, { route: '/b' });
      inflight.add(5);
      inflight.add(-2);
      for (const v of [50, 150, 2000]) size.record(v);
      temp.record(21.5, { room: 'lab' });
      for (let i = 1; i <= 100; i++) latency.record(i);
      await reader.forceFlush();

      t.equal(await agent.sample(`http_server_requests_total{${ident},route="/a"}`), 3);
      t.equal(await agent.sample(`http_server_requests_total{${ident},route="/b"}`), 4);
      t.equal(await agent.sample(`http_server_active_requests{${ident}}`), 3);
      t.equal(await agent.sample(`room_temperature_celsius{${ident},room="lab"}`), 21.5);
      t.equal(await agent.sample(`http_server_response_size_bytes_bucket{${ident},le="100"}`), 1);
      t.equal(await agent.sample(`http_server_response_size_bytes_bucket{${ident},le="1000"}`), 2);
      t.equal(await agent.sample(`http_server_response_size_bytes_bucket{${ident},le="+Inf"}`), 3);
      t.equal(await agent.sample(`http_server_response_size_bytes_sum{${ident}}`), 2200);
      t.equal(await agent.sample(`http_server_response_size_bytes_count{${ident}}`), 3);
      t.equal(await agent.sample(`rpc_latency_milliseconds_count{${ident}}`), 100);
      t.equal(await agent.sample(`rpc_latency_milliseconds_sum{${ident}}`), 5050);
      const p50 = (await agent.sample(`rpc_latency_milliseconds{${ident},quantile="0.5"}`))!;
      t.ok(Math.abs(p50 - 50) / 50 < 0.06, `p50 ${p50} within the exponential buckets' error of 50`);
      const info = await agent.sample('target_info{deployment_environment="prod",instance="pod-1",job="shop/checkout"}');
      t.equal(info, 1, 'resource attributes in target_info');
      const text = await agent.metrics();
      t.match(text, /# TYPE http_server_requests_total counter/);
      t.match(text, /# HELP http_server_requests_total Requests served\./);
      t.match(text, /# TYPE rpc_latency_milliseconds summary/);

      // A second export: cumulative values on /metrics whatever the SDK's temporality.
      requests.add(10, { route: '/a' });
      inflight.add(1);
      size.record(500);
      for (let i = 1; i <= 100; i++) latency.record(i);
      await reader.forceFlush();
      t.equal(await agent.sample(`http_server_requests_total{${ident},route="/a"}`), 13);
      t.equal(await agent.sample(`http_server_requests_total{${ident},route="/b"}`), 4);
      t.equal(await agent.sample(`http_server_active_requests{${ident}}`), 4);
      t.equal(await agent.sample(`http_server_response_size_bytes_bucket{${ident},le="1000"}`), 3);
      t.equal(await agent.sample(`http_server_response_size_bytes_count{${ident}}`), 4);
      t.equal(await agent.sample(`http_server_response_size_bytes_sum{${ident}}`), 2700);
      t.equal(await agent.sample(`rpc_latency_milliseconds_count{${ident}}`), 200);
      t.equal(await agent.sample(`rpc_latency_milliseconds_sum{${ident}}`), 10100);
      t.match(await agent.agent.telemetry.registry.getSingleMetricAsString('outrider_otlp_data_points_total'), /outrider_otlp_data_points_total\{transport="http"\} [1-9]/);
    });
  }
}
