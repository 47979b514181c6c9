/**
 * What the composition root uses of the history: the history for a configuration (the one it already holds when
 * the settings did not change, so a reload keeps the data) and the component that samples it.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import type { Component, Health } from '../core/component';
import type { Telemetry } from '../core/telemetry';
import { LocalHistory, StoreView } from './history';
import { optionsFrom } from './options';
import { HistorySampler } from './sampler';

export { LocalHistory } from './history';
export type { HistoryReader } from './types';

/** The history `config` asks for: `current` when its settings are the same, a new one when they changed, none when off. */
export function historyFor(config: Config, current: LocalHistory | undefined): LocalHistory | undefined {
  const o = optionsFrom(config);
  if (!o.enabled) return undefined;
  if (current && current.stepMs === o.stepMs && current.retentionMs === o.retentionMs && current.maxSeries === o.maxSeries && current.maxBytes === o.maxBytes) return current;
  return new LocalHistory(o);
}

export function historyComponents(history: LocalHistory | undefined, deps: { store: StoreView; health: Health; telemetry: Telemetry; config?: Config; log?: Logger }): Component[] {
  if (!history) return [];
  const o = deps.config ? optionsFrom(deps.config) : undefined;
  const persist = o?.stateDir ? { dir: o.stateDir, intervalMs: o.saveIntervalMs } : undefined;
  return [new HistorySampler({ history, store: deps.store, health: deps.health, telemetry: deps.telemetry, ...(persist && { persist }), ...(deps.log && { log: deps.log }) })];
}
