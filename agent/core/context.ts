import type { Logger } from 'pino';
import type { Paths } from '../collectors/collector';
import type { Config } from '../config/config';
import type { Store } from '../store/store';
import type { Component, Health } from './component';
import type { Telemetry } from './telemetry';

/** What every part of a running agent is handed. */
export interface AgentContext {
  config: Config;
  store: Store;
  log: Logger;
  health: Health;
  telemetry: Telemetry;
  paths: Paths;
}

/**
 * A feature of the agent beyond host collection (StatsD listeners, reporters, ...). It returns its components for
 * the given config (none when disabled); the agent starts them after the collectors and stops them first.
 */
export type Extension = (ctx: AgentContext) => Component[] | Promise<Component[]>;
