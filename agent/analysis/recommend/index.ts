/** Builds the recommender for a configuration (none when recommend.enabled is false). */
import type { Component } from '../../core/component';
import type { AgentContext } from '../../core/context';
import { Recommender } from './monitor';
import { recommendOptionsFrom } from './options';

export function recommendComponents(ctx: AgentContext): Component[] {
  const opts = recommendOptionsFrom(ctx.config);
  if (!opts.enabled) return [];
  return [new Recommender(opts, { store: ctx.store, telemetry: ctx.telemetry, log: ctx.log })];
}
