/**
 * The OpenTelemetry metrics receiver (docs/otlp.md): OTLP/HTTP on otlp.http.listen and OTLP/gRPC on
 * otlp.grpc.listen, both on loopback by default (the ports SDKs send to), sharing one decoder, translator and
 * delta-conversion table.
 */
import type { Component } from '../../core/component';
import type { AgentContext, Extension } from '../../core/context';
import { OtlpHttpReceiver } from './http';
import { OtlpIngest } from './receiver';

export const otlpExtension: Extension = async (ctx: AgentContext) => {
  if (!ctx.config.bool('otlp.enabled')) return [];
  const ingest = new OtlpIngest(ctx);
  const out: Component[] = [];
  if (ctx.config.string('otlp.http.listen') !== '') out.push(new OtlpHttpReceiver(ctx, ingest));
  if (ctx.config.string('otlp.grpc.listen') !== '') {
    const { OtlpGrpcReceiver } = await import('./grpc');
    out.push(new OtlpGrpcReceiver(ctx, ingest));
  }
  return out;
};
