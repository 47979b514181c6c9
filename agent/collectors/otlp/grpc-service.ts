/**
 * The OTLP/gRPC service on @grpc/grpc-js: `opentelemetry.proto.collector.metrics.v1.MetricsService/Export`. The
 * request's bytes go to the same decoder as OTLP/HTTP's protobuf bodies (no generated code: the service is declared
 * with identity (de)serialisers). grpc-js handles gzip message compression and refuses messages over `otlp.max_body`
 * with RESOURCE_EXHAUSTED; a body that cannot be decoded is INVALID_ARGUMENT; points refused inside a valid request
 * come back in the response's partial_success. Loaded by the receiver (grpc.ts) with its first connection, so an
 * agent no SDK sends to over gRPC never loads grpc-js, http2 and tls.
 */
import type { Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { OtlpDecodeError } from './model';
import type { OtlpIngest } from './receiver';
import { exportResponseProto } from './response';

const identity = (b: Buffer): Buffer => b;

const metricsService: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** The service, served on connections handed over one by one (`inject`) or on an address grpc-js binds (`bind`). */
export interface GrpcService {
  /** Serves HTTP/2 on a connection accepted elsewhere (a plain TCP socket, not yet read from). */
  inject(connection: Duplex): void;
  /** Binds `target` (HOST:PORT, a host name resolved to all its addresses); the port bound, or why not. */
  bind(target: string): Promise<number | Error>;
  /** Closes every session, waiting up to `graceMs` for calls in flight. */
  shutdown(graceMs: number): Promise<void>;
}

export function grpcService(ingest: OtlpIngest, maxBodyBytes: number): GrpcService {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxBodyBytes, 'grpc.max_concurrent_streams': 256 });
  server.addService(metricsService, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      try {
        const r = ingest.ingest(call.request, 'protobuf', 'grpc');
        cb(null, exportResponseProto(r.rejected, r.rejected > 0 ? r.reasons.join('; ') : ''));
      } catch (err) {
        if (err instanceof OtlpDecodeError) cb({ code: grpc.status.INVALID_ARGUMENT, details: `malformed ExportMetricsServiceRequest: ${err.message}` });
        else cb({ code: grpc.status.INTERNAL, details: (err as Error).message });
      }
    },
  });
  let injector: grpc.ConnectionInjector | undefined;
  return {
    inject: (connection) => (injector ??= server.createConnectionInjector(grpc.ServerCredentials.createInsecure())).injectConnection(connection),
    bind: (target) =>
      new Promise<number | Error>((resolve) => server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) => resolve(err ?? port))).then((r) => {
        if (r instanceof Error) server.forceShutdown();
        return r;
      }),
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        t.unref();
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}
