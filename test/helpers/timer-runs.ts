/**
 * Counts the timers of one period (`setTimeout` / `setInterval` with `ms`) created while counting, and their runs
 * (each run is one wake-up of the event loop for that timer), from async hooks: for tests of what wakes an idle
 * process. Pick a period no other timer in the test uses.
 */
import { createHook } from 'node:async_hooks';

export interface TimerRuns {
  /** Timers of the period created since counting began. */
  created(): number;
  /** Runs of those timers. */
  runs(): number;
  stop(): void;
}

export function countTimerRuns(ms: number): TimerRuns {
  const ids = new Set<number>();
  let runs = 0;
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type === 'Timeout' && (resource as { _idleTimeout?: number })._idleTimeout === ms) ids.add(id);
    },
    before(id) {
      if (ids.has(id)) runs++;
    },
  }).enable();
  return { created: () => ids.size, runs: () => runs, stop: () => hook.disable() };
}
