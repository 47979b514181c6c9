/**
 * OTLP/gRPC receiver: `opentelemetry.proto.collector.metrics.v1.MetricsService/Export` served with @grpc/grpc-js.
 * The request's bytes go to the same decoder as OTLP/HTTP's protobuf bodies (no generated code: the service is
 * declared with identity (de)serialisers). grpc-js handles gzip message compression and refuses messages over
 * `otlp.max_body` with RESOURCE_EXHAUSTED; a body that cannot be decoded is INVALID_ARGUMENT; points refused inside a
 * valid request come back in the response's partial_success.
 */
import * as grpc from '@grpc/grpc-js';
import type { Component } from '../../core/component';
import type { AgentContext } from '../../core/context';
import { parseHostPort } from '../../config/coerce';
import { OutriderError } from '../../core/errors';
import { OtlpDecodeError } from './model';
import type { OtlpListenerOptions } from './options';
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

export class OtlpGrpcReceiver implements Component {
  readonly name = 'otlp-grpc';
  readonly #ctx: AgentContext;
  readonly #ingest: OtlpIngest;
  readonly #listen: string;
  readonly #maxBodyBytes: number;
  #server: grpc.Server | undefined;
  #port = 0;

  constructor(ctx: AgentContext, o: OtlpListenerOptions, ingest: OtlpIngest) {
    this.#ctx = ctx;
    this.#ingest = ingest;
    this.#listen = o.listen;
    this.#maxBodyBytes = o.maxBodyBytes;
  }

  /** host:port the server is bound to. */
  address(): string {
    const hp = parseHostPort(this.#listen)!;
    return `${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${this.#port}`;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const hp = parseHostPort(this.#listen);
    if (!hp) throw new OutriderError('OUTRIDER_ERR_OTLP_LISTEN', `OTLP/gRPC receiver: cannot listen on ${JSON.stringify(this.#listen)}: expected HOST:PORT`);
    const maxBody = this.#maxBodyBytes;
    const server = new grpc.Server({ 'grpc.max_receive_message_length': maxBody, 'grpc.max_concurrent_streams': 256 });
    server.addService(metricsService, {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        try {
          const r = this.#ingest.ingest(call.request, 'protobuf', 'grpc');
          cb(null, exportResponseProto(r.rejected, r.rejected > 0 ? r.reasons.join('; ') : ''));
        } catch (err) {
          if (err instanceof OtlpDecodeError) cb({ code: grpc.status.INVALID_ARGUMENT, details: `malformed ExportMetricsServiceRequest: ${err.message}` });
          else cb({ code: grpc.status.INTERNAL, details: (err as Error).message });
        }
      },
    });
    const target = `${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${hp.port}`;
    // A listen failure (a port in use) is one ERROR line and a degraded component, as for OTLP/HTTP.
    const bound = await new Promise<number | Error>((resolve) => server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) => resolve(err ?? port)));
    if (bound instanceof Error) {
      const why = /EADDRINUSE|address already in use/i.test(bound.message) ? 'the address is already in use' : bound.message;
      const detail = `OTLP/gRPC receiver is off: cannot listen on ${this.#listen}: ${why} (set otlp.grpc.listen to another address, or to empty to switch it off).`;
      this.#ctx.log.error({ code: 'OUTRIDER_ERR_OTLP_LISTEN', listen: this.#listen }, detail);
      this.#ctx.health.report(this.name, 'degraded', { ready: true, detail });
      server.forceShutdown();
      return;
    }
    this.#port = bound;
    this.#server = server;
    this.#ctx.health.report(this.name, 'running', { ready: true, detail: `listening on ${this.address()}` });
    this.#ctx.log.info({ address: this.address() }, 'OTLP/gRPC receiver is ready.');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 3000);
      t.unref();
      server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
