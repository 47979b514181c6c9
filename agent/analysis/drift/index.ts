/** Builds the drift monitor for a configuration (none when drift.enabled is false). */
import type { Component } from '../../core/component';
import type { AgentContext } from '../../core/context';
import { DriftMonitor } from './monitor';
import { driftOptionsFrom } from './options';

export function driftComponents(ctx: AgentContext): Component[] {
  const opts = driftOptionsFrom(ctx.config);
  if (!opts.enabled) return [];
  return [new DriftMonitor(opts, { store: ctx.store, telemetry: ctx.telemetry, log: ctx.log })];
}
