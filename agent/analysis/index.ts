/** What the composition root uses of the analysis: its component for a configuration, and the event log type. */
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import type { Component, Health } from '../core/component';
import type { AgentContext } from '../core/context';
import type { Telemetry } from '../core/telemetry';
import type { HistoryReader } from '../history/types';
import { Analysis, type AnalysisSink } from './analysis';
import { optionsFrom } from './options';

export { EventLog, eventsResponse } from './events';
export type { EventSink } from './events';
export { optionsFrom as analysisOptionsFrom } from './options';

/** The analysis component when analysis.enabled and the local history is on; none otherwise. */
export function analysisComponents(deps: {
  config: Config;
  history?: HistoryReader;
  store: AnalysisSink;
  health: Health;
  log: Logger;
  telemetry: Telemetry;
  events?: AgentContext['events'];
}): Component[] {
  const options = optionsFrom(deps.config);
  if (!options.enabled || !deps.history) return [];
  const d = { history: deps.history, store: deps.store, options, health: deps.health, log: deps.log, telemetry: deps.telemetry };
  return [new Analysis(deps.events ? { ...d, events: deps.events } : d)];
}
