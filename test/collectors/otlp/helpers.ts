/** An in-process agent with its OTLP receivers on ephemeral loopback ports, and a reader of its /metrics. */
import { startAgent, RunningAgent } from '../../helpers/agent';

export interface OtlpAgent extends RunningAgent {
  otlpHttp: string;
  otlpGrpc: string;
  metrics(): Promise<string>;
  /** The value of one exposed sample line `name{labels}` (labels as rendered), or undefined. */
  sample(series: string): Promise<number | undefined>;
}

export async function startOtlpAgent(overrides: Record<string, unknown> = {}): Promise<OtlpAgent> {
  const a = await startAgent({ 'otlp.http.listen': '127.0.0.1:0', 'otlp.grpc.listen': '127.0.0.1:0', ...overrides });
  const http = /listening on (\S+)/.exec(a.agent.health.get('otlp-http')?.detail ?? '')?.[1] ?? '';
  const grpc = /listening on (\S+)/.exec(a.agent.health.get('otlp-grpc')?.detail ?? '')?.[1] ?? '';
  const metrics = async (): Promise<string> => (await fetch(a.url + '/metrics')).text();
  return {
    ...a,
    otlpHttp: http,
    otlpGrpc: grpc,
    metrics,
    async sample(series: string) {
      for (const line of (await metrics()).split('\n')) {
        if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1).split(' ')[0]);
      }
      return undefined;
    },
  };
}
