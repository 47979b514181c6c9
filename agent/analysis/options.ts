/** The local analysis's settings, parsed once. */
import type { Config } from '../config/config';

export interface AnalysisOptions {
  enabled: boolean;
  families: readonly string[];
  intervalMs: number;
  maxSeries: number;
  appTopK: number;
  topK: number;
  clearPoints: number;
  forecastWindowMs: number;
  forecastIntervalMs: number;
  forecastHorizonMs: number;
  forecastClearFactor: number;
  /** Smoothing factors of the Holt–Winters forecasts, each in (0, 1). */
  forecastSmoothingFactor: number;
  forecastTrendFactor: number;
  /** The report spool's cap (spool.max_size), or 0 when the spool is in memory only (no spool forecast). */
  spoolMaxBytes: number;
  eventsMax: number;
}

export function optionsFrom(config: Config): AnalysisOptions {
  return {
    enabled: config.bool('analysis.enabled'),
    families: [...new Set(config.list('analysis.families'))],
    intervalMs: config.number('analysis.interval'),
    maxSeries: config.number('analysis.max_series'),
    appTopK: config.number('analysis.app_top_k'),
    topK: config.number('analysis.top_k'),
    clearPoints: config.number('analysis.clear_points'),
    forecastWindowMs: config.number('analysis.forecast_window'),
    forecastIntervalMs: config.number('analysis.forecast_interval'),
    forecastHorizonMs: config.number('analysis.forecast_horizon'),
    forecastClearFactor: config.number('analysis.forecast_clear_factor'),
    forecastSmoothingFactor: config.number('analysis.forecast_smoothing_factor'),
    forecastTrendFactor: config.number('analysis.forecast_trend_factor'),
    // The spool's own keys, read for its forecast: the cap is configuration, not a metric.
    spoolMaxBytes: config.string('spool.dir') === '' ? 0 : config.number('spool.max_size'),
    eventsMax: config.number('analysis.events_max'),
  };
}
