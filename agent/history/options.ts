/** The local history's settings, parsed once, and the problem a configuration can have across its keys. */
import type { Config } from '../config/config';
import type { CrossProblem } from '../config/cross';

/** Most sampling rounds one retention may span (the round times cost 8 bytes each). */
export const MAX_ROUNDS = 1_000_000;

export interface HistoryOptions {
  enabled: boolean;
  stepMs: number;
  retentionMs: number;
  maxSeries: number;
  maxBytes: number;
  /** Where the history is saved across restarts (undefined: not saved). */
  stateDir: string | undefined;
  saveIntervalMs: number;
}

export function optionsFrom(config: Config): HistoryOptions {
  return {
    enabled: config.bool('history.enabled'),
    // 0: the collection interval, as Prometheus keeps a sample a scrape; a step shorter than it repeats each value.
    stepMs: config.number('history.step') || config.number('collectors.interval'),
    retentionMs: config.number('history.retention'),
    maxSeries: config.number('history.max_series'),
    maxBytes: config.number('history.max_bytes'),
    stateDir: config.string('history.state_dir') === '' ? undefined : config.string('history.state_dir'),
    saveIntervalMs: config.number('history.save_interval'),
  };
}

/** Retention must hold at least one step and at most MAX_ROUNDS of them. */
export function check(config: Config): CrossProblem[] {
  const o = optionsFrom(config);
  if (!o.enabled) return [];
  const retention = `${o.retentionMs}ms`;
  if (o.retentionMs < o.stepMs) return [{ key: 'history.retention', value: retention, expected: `at least history.step (${o.stepMs} ms)` }];
  if (o.retentionMs / o.stepMs > MAX_ROUNDS) return [{ key: 'history.retention', value: retention, expected: `at most ${MAX_ROUNDS} times history.step (${o.stepMs} ms)` }];
  return [];
}
