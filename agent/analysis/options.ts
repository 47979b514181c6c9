/** The local analysis's settings, parsed once. */
import type { Config } from '../config/config';

export interface AnalysisOptions {
  enabled: boolean;
  families: readonly string[];
  intervalMs: number;
  maxSeries: number;
  topK: number;
  clearPoints: number;
  forecastWindowMs: number;
  forecastIntervalMs: number;
  forecastHorizonMs: number;
  eventsMax: number;
}

export function optionsFrom(config: Config): AnalysisOptions {
  return {
    enabled: config.bool('analysis.enabled'),
    families: [...new Set(config.list('analysis.families'))],
    intervalMs: config.number('analysis.interval'),
    maxSeries: config.number('analysis.max_series'),
    topK: config.number('analysis.top_k'),
    clearPoints: config.number('analysis.clear_points'),
    forecastWindowMs: config.number('analysis.forecast_window'),
    forecastIntervalMs: config.number('analysis.forecast_interval'),
    forecastHorizonMs: config.number('analysis.forecast_horizon'),
    eventsMax: config.number('analysis.events_max'),
  };
}
