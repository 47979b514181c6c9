/** Builds the drift monitor for a configuration (none when drift.enabled is false). */
import type { Component } from '../../core/component';
import type { AgentContext } from '../../core/context';
import { DriftMonitor } from './monitor';
import { driftOptionsFrom } from './options';

export function driftComponents(ctx: AgentContext): Component[] {
  const opts = driftOptionsFrom(ctx.config);
  if (!opts.enabled) return [];
  const monitor = new DriftMonitor(opts, { store: ctx.store, telemetry: ctx.telemetry, log: ctx.log });
  // Drift starts and ends join the agent's events (GET /api/v1/events) beside anomalies and forecast crossings.
  const events = ctx.events;
  if (events) {
    monitor.onEvent((e) => {
      events.push({ timeMs: e.timeMs, kind: e.state === 'start' ? 'drift_start' : 'drift_end', family: e.metric, labels: e.labels, detail: { ks: e.ks, wasserstein: e.wasserstein } });
    });
  }
  return [monitor];
}
