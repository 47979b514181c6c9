/** Builds the rules component from the config (no rule files: no component). */
import type { AgentContext } from '../core/context';
import type { QueryEngine } from '../query/types';
import type { Store } from '../store/store';
import type { Compile } from './file';
import { RulesCarry, RulesManager } from './manager';
import { optionsFrom } from './options';

export { RulesManager } from './manager';
export { alertsBody, filterFrom, rulesBody } from './api';

/**
 * The expression checker of `outrider check-rules`: the query engine's compile (over no data), or undefined until
 * an engine is available, in which case expressions are not checked.
 */
export function rulesCompiler(): Compile | undefined {
  return undefined;
}

/** What carries over between reloads, per agent (keyed by its store, which lives as long as the agent). */
const carries = new WeakMap<Store, RulesCarry>();

export function rulesExtension(ctx: AgentContext, engine: QueryEngine | undefined): RulesManager[] {
  const opts = optionsFrom(ctx.config);
  let carry = carries.get(ctx.store);
  if (!carry) carries.set(ctx.store, (carry = {}));
  if (opts.files.length === 0) {
    for (const g of carry.groups ?? []) g.drop();
    carry.groups = [];
    ctx.health.remove('rules');
    return [];
  }
  return [new RulesManager(opts, { store: ctx.store, log: ctx.log, telemetry: ctx.telemetry, health: ctx.health, engine, carry })];
}
