/** The OTLP receiver's settings (otlp/keys.ts), parsed and typed once per configuration. */
import type { Config } from '../../config/config';

export interface OtlpOptions {
  enabled: boolean;
  /** HOST:PORT of OTLP/HTTP; undefined: off. */
  httpListen: string | undefined;
  /** HOST:PORT of OTLP/gRPC; undefined: off. */
  grpcListen: string | undefined;
  maxBodyBytes: number;
  promoteResourceAttributes: string[];
  delta: { maxStreams: number; streamTtlMs: number };
}

export function optionsFrom(config: Config): OtlpOptions {
  const listen = (key: string): string | undefined => {
    const v = config.string(key);
    return v === '' ? undefined : v;
  };
  return {
    enabled: config.bool('otlp.enabled'),
    httpListen: listen('otlp.http.listen'),
    grpcListen: listen('otlp.grpc.listen'),
    maxBodyBytes: config.number('otlp.max_body'),
    promoteResourceAttributes: config.list('otlp.promote_resource_attributes'),
    delta: { maxStreams: config.number('otlp.delta.max_streams'), streamTtlMs: config.number('otlp.delta.stream_ttl') },
  };
}

/** What one transport's listener takes. */
export interface OtlpListenerOptions {
  listen: string;
  maxBodyBytes: number;
}
