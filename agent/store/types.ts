/** The metric model shared by collectors, the store, the exposition and the reporters. */

export type MetricType = 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped';

export type Labels = Readonly<Record<string, string>>;

export interface FamilyDesc {
  /** Prometheus name as exposed in the text format (counters end in `_total`). */
  name: string;
  help: string;
  type: MetricType;
  /**
   * The values start from zero when the agent process starts (StatsD, pushed samples, the agent's own telemetry),
   * unlike values that continue a source outside the agent (/proc, a scraped endpoint). The aggregator reads the
   * first value of a new agent epoch as a reset only for these.
   */
  restartsWithAgent?: boolean;
}

/** Summary or histogram value. Quantiles and buckets are sorted ascending; buckets are cumulative. */
export interface Distribution {
  count: number;
  sum: number;
  quantiles?: ReadonlyArray<readonly [number, number]>;
  buckets?: ReadonlyArray<readonly [number, number]>;
  /** Mergeable sketch behind the quantiles, carried to the reporter (opaque to the store). */
  sketch?: unknown;
}

export interface Sample {
  labels: Labels;
  /** Counters, gauges, untyped. */
  value?: number;
  /** Summaries and histograms. */
  dist?: Distribution;
  /** Explicit timestamp in ms (rare: pass-through samples). */
  timestampMs?: number;
}

export interface FamilySamples extends FamilyDesc {
  samples: Sample[];
}

const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isValidMetricName(name: string): boolean {
  return nameRe.test(name);
}

export function isValidLabelName(name: string): boolean {
  return labelRe.test(name) && !name.startsWith('__');
}

/** Replaces every character Prometheus does not allow in a metric name with `_`. */
export function sanitizeMetricName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (!/^[a-zA-Z_:]/.test(out)) out = '_' + out;
  return out;
}

export function sanitizeLabelName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (!/^[a-zA-Z_]/.test(out)) out = '_' + out;
  if (out.startsWith('__')) out = 'x' + out;
  return out;
}

/** Why the store dropped a write. */
export type DropReason = 'max_series' | 'source_budget' | 'memory_limit' | 'invalid_name' | 'invalid_label' | 'type_conflict';
