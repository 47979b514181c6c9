/** The drift monitor's settings, parsed once. */
import type { Config } from '../../config/config';

export interface DriftOptions {
  enabled: boolean;
  intervalMs: number;
  windowIntervals: number;
  minCount: number;
  ksThreshold: number;
  maxSeries: number;
}

export function driftOptionsFrom(config: Config): DriftOptions {
  return {
    enabled: config.bool('drift.enabled'),
    intervalMs: config.number('drift.interval'),
    windowIntervals: config.number('drift.window_intervals'),
    minCount: config.number('drift.min_count'),
    ksThreshold: config.number('drift.ks_threshold'),
    maxSeries: config.number('drift.max_series'),
  };
}
