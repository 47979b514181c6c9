/**
 * The OTLP metrics data model as the receiver uses it: what both decoders (protobuf, JSON) produce and the translator
 * reads. Attribute values are already strings (the Prometheus side only has strings); times are milliseconds.
 */
import { OutriderError } from '../../core/errors';

export type Attrs = Array<[string, string]>;

export const enum Temporality {
  Unspecified = 0,
  Delta = 1,
  Cumulative = 2,
}

/** DataPointFlags.FLAG_NO_RECORDED_VALUE: the point marks a stream as gone (a staleness marker). */
export const kNoRecordedValue = 1;

export interface NumberPoint {
  attrs: Attrs;
  startMs: number;
  timeMs: number;
  /** NaN when neither as_double nor as_int is set. */
  value: number;
  hasValue: boolean;
  flags: number;
}

export interface HistogramPoint {
  attrs: Attrs;
  startMs: number;
  timeMs: number;
  count: number;
  sum: number | undefined;
  bucketCounts: number[];
  bounds: number[];
  flags: number;
}

export interface ExpBuckets {
  offset: number;
  counts: number[];
}

export interface ExpHistogramPoint {
  attrs: Attrs;
  startMs: number;
  timeMs: number;
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  positive: ExpBuckets;
  negative: ExpBuckets;
  flags: number;
}

export interface SummaryPoint {
  attrs: Attrs;
  startMs: number;
  timeMs: number;
  count: number;
  sum: number;
  quantiles: Array<[number, number]>;
  flags: number;
}

export type OtlpMetric =
  | { kind: 'gauge'; name: string; description: string; unit: string; points: NumberPoint[] }
  | { kind: 'sum'; name: string; description: string; unit: string; temporality: Temporality; monotonic: boolean; points: NumberPoint[] }
  | { kind: 'histogram'; name: string; description: string; unit: string; temporality: Temporality; points: HistogramPoint[] }
  | { kind: 'exponential_histogram'; name: string; description: string; unit: string; temporality: Temporality; points: ExpHistogramPoint[] }
  | { kind: 'summary'; name: string; description: string; unit: string; points: SummaryPoint[] }
  | { kind: 'empty'; name: string; description: string; unit: string; points: never[] };

export interface ScopeMetrics {
  name: string;
  version: string;
  metrics: OtlpMetric[];
}

export interface ResourceMetrics {
  attrs: Attrs;
  scopes: ScopeMetrics[];
}

export class OtlpDecodeError extends OutriderError {
  constructor(message: string) {
    super('OUTRIDER_ERR_OTLP_MALFORMED', message);
  }
}

/** The string form of a non-string attribute value, as the compatibility specification writes it (JSON). */
export function anyValueString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}
