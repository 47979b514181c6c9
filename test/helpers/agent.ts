/** Starts a real agent in-process on an ephemeral loopback port. */
import { Agent } from '../../agent/agent';
import { Config } from '../../agent/config/config';
import { silentLogger } from '../../agent/core/log';
import { agentKeys } from '../../agent/keys';

export interface RunningAgent {
  agent: Agent;
  url: string;
  stop(): Promise<void>;
}

/** `overrides` are config keys in parsed form (ms, bytes). */
export async function startAgent(overrides: Record<string, unknown> = {}): Promise<RunningAgent> {
  // StatsD on an ephemeral port too, so agents started by parallel tests never compete for 8125.
  const config = Config.defaults(agentKeys).with({ listen: '127.0.0.1:0', 'statsd.listen': ['udp://127.0.0.1:0'], 'otlp.http.listen': '127.0.0.1:0', 'otlp.grpc.listen': '127.0.0.1:0', ...overrides });
  const agent = new Agent({ config, log: silentLogger() });
  await agent.start();
  return { agent, url: agent.url()!, stop: () => agent.stop() };
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
