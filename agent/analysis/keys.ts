import { defineKeys } from '../config/schema';
import { isValidMetricName } from '../store/types';
import { defaultSmoothing } from './forecast-hw';

function checkFactor(v: unknown): string | undefined {
  return typeof v === 'number' && v > 0 && v < 1 ? undefined : 'a number strictly between 0 and 1';
}

function checkFamilies(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'a list of metric names';
  const bad = v.find((x) => typeof x !== 'string' || !isValidMetricName(x));
  return bad === undefined ? undefined : `metric names ([a-zA-Z_:][a-zA-Z0-9_:]*), not ${JSON.stringify(bad)}`;
}

/** The host's key signals: CPU, memory, disk I/O time, network bytes, load, pressure, and the pod's cgroup usage. */
export const defaultAnalysedFamilies: readonly string[] = [
  'node_cpu_seconds_total',
  'node_memory_MemAvailable_bytes',
  'node_disk_io_time_seconds_total',
  'node_network_receive_bytes_total',
  'node_network_transmit_bytes_total',
  'node_load1',
  'node_pressure_cpu_waiting_seconds_total',
  'node_pressure_memory_waiting_seconds_total',
  'node_pressure_io_waiting_seconds_total',
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
];

// The local analysis over the local history (docs/analysis.md).
export const analysisKeys = defineKeys([
  { key: 'analysis.enabled', type: 'bool', default: true, help: 'Run anomaly detection and time-to-exhaustion forecasts over the local history after each sampling round.' },
  {
    key: 'analysis.families',
    type: 'list',
    item: 'string',
    default: defaultAnalysedFamilies,
    check: checkFamilies,
    help: 'Metric families whose series the anomaly detector scores (a name ending in _total is read as a counter and scored on its per-second rate).',
  },
  {
    key: 'analysis.interval',
    type: 'duration',
    default: 10_000,
    min: 0,
    help: 'Interval between two runs of the anomaly detector; each run scores every point since the last (0: every sampling round).',
  },
  { key: 'analysis.max_series', type: 'int', default: 2000, min: 1, help: 'Most series the anomaly detector follows; series past it are not analysed and are counted.' },
  {
    key: 'analysis.app_top_k',
    type: 'int',
    default: 20,
    min: 0,
    max: 1000,
    help: 'Application series (StatsD, scrape, OTLP) scored besides analysis.families: each minute, the ones whose value changed most often over the last 5 minutes (0: none).',
  },
  { key: 'analysis.top_k', type: 'int', default: 10, min: 1, max: 1000, help: 'Series per family exposed with outrider_anomaly_score and outrider_anomaly (the highest scores).' },
  { key: 'analysis.clear_points', type: 'int', default: 30, min: 1, help: "Points without a flag after which a series' anomaly ends (an anomaly_end event)." },
  { key: 'analysis.forecast_window', type: 'duration', default: 900_000, min: 1000, help: "Range of the least-squares line behind the time-to-exhaustion forecasts (predict_linear's range)." },
  { key: 'analysis.forecast_interval', type: 'duration', default: 10_000, min: 100, help: 'Interval between two evaluations of the time-to-exhaustion forecasts.' },
  { key: 'analysis.forecast_horizon', type: 'duration', default: 14_400_000, min: 1000, help: 'A forecast that reaches its limit sooner than this records a forecast_crossing event.' },
  {
    key: 'analysis.forecast_clear_factor',
    type: 'number',
    default: 1.25,
    min: 1,
    max: 100,
    help: 'A forecast_crossing ends (forecast_clear) only when the forecast rises to forecast_horizon times this, so a forecast wavering around the horizon does not flap.',
  },
  {
    key: 'analysis.forecast_smoothing_factor',
    type: 'number',
    default: defaultSmoothing.sf,
    check: checkFactor,
    help: "Smoothing factor of the level in the Holt-Winters time-to-exhaustion forecasts (holt_winters' sf, in (0, 1)).",
  },
  {
    key: 'analysis.forecast_trend_factor',
    type: 'number',
    default: defaultSmoothing.tf,
    check: checkFactor,
    help: "Smoothing factor of the trend in the Holt-Winters time-to-exhaustion forecasts (holt_winters' tf, in (0, 1)).",
  },
  { key: 'analysis.events_max', type: 'int', default: 1000, min: 1, max: 1_000_000, help: 'Events kept for GET /api/v1/events (the oldest go first).' },
]);
