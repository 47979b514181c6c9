/**
 * The OpenTelemetry metrics receiver (docs/otlp.md): OTLP/HTTP on otlp.http.listen and OTLP/gRPC on
 * otlp.grpc.listen, both on loopback by default (the ports SDKs send to), sharing one decoder, translator and
 * delta-conversion table.
 */
import type { Component } from '../../core/component';
import type { AgentContext, Extension } from '../../core/context';
import { OtlpHttpReceiver } from './http';
import { optionsFrom } from './options';
import { OtlpIngest } from './receiver';

export const otlpExtension: Extension = async (ctx: AgentContext) => {
  const o = optionsFrom(ctx.config);
  if (!o.enabled) return [];
  const ingest = new OtlpIngest(ctx, o);
  const out: Component[] = [];
  if (o.httpListen !== undefined) out.push(new OtlpHttpReceiver(ctx, { listen: o.httpListen, maxBodyBytes: o.maxBodyBytes }, ingest));
  if (o.grpcListen !== undefined) {
    const { OtlpGrpcReceiver } = await import('./grpc');
    out.push(new OtlpGrpcReceiver(ctx, { listen: o.grpcListen, maxBodyBytes: o.maxBodyBytes }, ingest));
  }
  return out;
};
