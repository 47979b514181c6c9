import type { Logger } from 'pino';
import type { Config } from '../config/config';
import type { HistoryReader } from '../history/types';
import type { Store } from '../store/store';
import type { Component, Health } from './component';
import type { Paths } from './paths';
import type { Telemetry } from './telemetry';

/** An event as components record it (docs/analysis.md, Events). */
export interface AgentEventRecord {
  timeMs: number;
  kind: string;
  family: string;
  labels: Readonly<Record<string, string>>;
  detail: Readonly<Record<string, number | string>>;
}

/** What every part of a running agent is handed. */
export interface AgentContext {
  config: Config;
  store: Store;
  log: Logger;
  health: Health;
  telemetry: Telemetry;
  paths: Paths;
  /** The local history, when history.enabled (docs/history.md). */
  history?: HistoryReader;
  /**
   * Where components record events (anomalies, forecast crossings, drift), served by GET /api/v1/events; `list`
   * reads them back after an id (the reporter sends them to the aggregator).
   */
  events?: {
    push(event: AgentEventRecord): unknown;
    list(afterId: number, limit?: number): ReadonlyArray<AgentEventRecord & { readonly id: number }>;
  };
}

/**
 * How a part of the agent is built: it returns its components for the given config (none when disabled). The
 * composition root (agent/agent.ts) lists them and decides the start and stop order.
 */
export type Extension = (ctx: AgentContext) => Component[] | Promise<Component[]>;
