/** The live page's settings, parsed once. */
import type { Config } from '../config/config';

export interface LiveOptions {
  enabled: boolean;
  maxClients: number;
  historyMs: number;
  clientBufferBytes: number;
  /** Time between frames (fixed: the page is per second). */
  intervalMs: number;
  /** Time between heartbeats on an idle stream. */
  heartbeatMs: number;
}

export function optionsFrom(config: Config): LiveOptions {
  return {
    enabled: config.bool('live.enabled'),
    maxClients: config.number('live.max_clients'),
    historyMs: config.number('live.history'),
    clientBufferBytes: config.number('live.client_buffer'),
    intervalMs: 1000,
    heartbeatMs: 15_000,
  };
}
