import { defineKeys } from '../../config/schema';

// Drift of the distributions the agent holds (docs/drift.md).
export const driftKeys = defineKeys([
  {
    key: 'drift.enabled',
    type: 'bool',
    default: true,
    help: 'Compare every distribution (StatsD timers and histograms, scraped and OTLP histograms) between the current window and the window before it.',
  },
  { key: 'drift.interval', type: 'duration', default: 60_000, min: 1000, help: 'How often the distances are computed; each interval is one slot of the windows.' },
  { key: 'drift.window_intervals', type: 'int', default: 10, min: 1, max: 1440, help: 'Length of the current and of the reference window, in drift.interval slots.' },
  { key: 'drift.min_count', type: 'number', default: 50, min: 1, help: 'Fewest observations each window needs before its distances are computed.' },
  { key: 'drift.ks_threshold', type: 'number', default: 0.3, min: 0, max: 1, help: 'Kolmogorov–Smirnov statistic at or above which a drift event starts (0 disables events).' },
  { key: 'drift.max_series', type: 'int', default: 1000, min: 1, help: 'Most distributions followed; new ones past it are skipped and counted.' },
]);
