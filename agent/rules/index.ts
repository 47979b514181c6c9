/** Builds the rules component from the config (no rule files: no component). */
import type { AgentContext } from '../core/context';
import type { HistoryReader } from '../history/types';
import { PromqlEngine } from '../query/engine';
import type { QueryEngine } from '../query/types';
import type { Store } from '../store/store';
import type { Compile } from './file';
import { RulesCarry, RulesManager } from './manager';
import { optionsFrom } from './options';

export { RulesManager } from './manager';
export { alertsBody, filterFrom, rulesBody } from './api';

/** A history with no data: what `outrider check-rules` compiles against (compiling reads no samples). */
const noHistory: HistoryReader = {
  stepMs: 1000,
  select: () => [],
  labelNames: () => [],
  labelValues: () => [],
  oldestMs: () => undefined,
  newestMs: () => undefined,
  subscribe: () => () => {},
};

/** The expression checker of `outrider check-rules`: the query engine's compile, over no data. */
export function rulesCompiler(): Compile {
  const engine = new PromqlEngine(noHistory);
  return (expr) => engine.compile(expr);
}

/** What carries over between reloads, per agent (keyed by its store, which lives as long as the agent). */
const carries = new WeakMap<Store, RulesCarry>();

/**
 * The rules component over the agent's local history. `engine` replaces the PromQL engine over `ctx.history`
 * (tests); without either, rule files are refused (rules need the local history).
 */
export function rulesExtension(ctx: AgentContext, engine?: QueryEngine): RulesManager[] {
  const opts = optionsFrom(ctx.config);
  engine ??= ctx.history ? new PromqlEngine(ctx.history, { subqueryStepMs: opts.evaluationIntervalMs }) : undefined;
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
