// The OpenTelemetry (OTLP) metrics receiver (agent/collectors/otlp, docs/otlp.md).
import { parseHostPort } from '../../config/coerce';
import { defineKeys } from '../../config/schema';

const hostPort = (v: unknown): string | undefined => (v === '' || parseHostPort(String(v)) ? undefined : 'HOST:PORT or empty (disabled)');

export const otlpKeys = defineKeys([
  {
    key: 'otlp.enabled',
    type: 'bool',
    default: true,
    help: 'Receive OpenTelemetry metrics (OTLP over HTTP and gRPC) and serve them as Prometheus series.',
    common: true,
  },
  {
    key: 'otlp.http.listen',
    type: 'string',
    default: '127.0.0.1:4318',
    check: hostPort,
    help: 'Address of the OTLP/HTTP receiver (POST /v1/metrics, protobuf or JSON, gzip); empty disables it. 4318 is where SDKs send by default.',
    common: true,
  },
  {
    key: 'otlp.grpc.listen',
    type: 'string',
    default: '127.0.0.1:4317',
    check: hostPort,
    help: 'Address of the OTLP/gRPC receiver (MetricsService/Export); empty disables it. 4317 is where SDKs send by default.',
  },
  {
    key: 'otlp.max_body',
    type: 'size',
    default: 16 * 1024 * 1024,
    min: 1024,
    help: 'Largest OTLP request, before and after decompression; a larger one (or a compressed body that inflates past it) is refused with 413 and counted.',
  },
  {
    key: 'otlp.promote_resource_attributes',
    type: 'list',
    item: 'string',
    default: [],
    help: 'Resource attributes copied onto every series as labels (dots become underscores), besides job and instance; all of them are in target_info.',
  },
  {
    key: 'otlp.delta.max_streams',
    type: 'int',
    default: 100_000,
    min: 1,
    help: 'Streams the delta-to-cumulative conversion (and exponential histograms) keeps state for; points of new streams past it are rejected and counted.',
  },
  {
    key: 'otlp.delta.stream_ttl',
    type: 'duration',
    default: 10 * 60_000,
    min: 1000,
    help: 'A delta stream not written for this long is forgotten; its next point starts its cumulative series again from zero.',
  },
]);
