/**
 * Decoder of `ExportMetricsServiceRequest` (opentelemetry/proto/collector/metrics/v1) from its protobuf bytes into the
 * receiver's model (model.ts). Field numbers follow opentelemetry-proto v1: ResourceMetrics{resource=1,
 * scope_metrics=2}, ScopeMetrics{scope=1, metrics=2}, Metric{name=1, description=2, unit=3, gauge=5, sum=7,
 * histogram=9, exponential_histogram=10, summary=11}, and the data points below. Unknown fields are skipped, as
 * protobuf requires; exemplars and metadata are not kept.
 */
import { ExpBuckets, ExpHistogramPoint, HistogramPoint, NumberPoint, OtlpMetric, ResourceMetrics, ScopeMetrics, SummaryPoint, Temporality } from './model';
import { keyValue, resourceAttrs, scopeIdentity } from './decode-attrs';
import { expect, ProtoReader, readDouble, readFixed64 } from './proto-reader';

const kNsPerMs = 1e6;

export function decodeMetricsRequest(buf: Buffer): ResourceMetrics[] {
  const r = new ProtoReader(buf);
  const out: ResourceMetrics[] = [];
  while (!r.done) {
    const tag = r.varint();
    if (tag >>> 3 === 1) {
      expect(tag & 7, 2, 'resource_metrics');
      out.push(resourceMetrics(r.sub()));
    } else r.skip(tag & 7);
  }
  return out;
}

function resourceMetrics(r: ProtoReader): ResourceMetrics {
  const rm: ResourceMetrics = { attrs: [], scopes: [] };
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) {
      expect(tag & 7, 2, 'resource');
      resourceAttrs(r.sub(), rm.attrs);
    } else if (f === 2) {
      expect(tag & 7, 2, 'scope_metrics');
      rm.scopes.push(scopeMetrics(r.sub()));
    } else r.skip(tag & 7);
  }
  return rm;
}

function scopeMetrics(r: ProtoReader): ScopeMetrics {
  const sm: ScopeMetrics = { name: '', version: '', metrics: [] };
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) {
      expect(tag & 7, 2, 'scope');
      scopeIdentity(r.sub(), sm);
    } else if (f === 2) {
      expect(tag & 7, 2, 'metric');
      sm.metrics.push(metric(r.sub()));
    } else r.skip(tag & 7);
  }
  return sm;
}

/** One Metric message (every data type). */
export function metric(r: ProtoReader): OtlpMetric {
  let name = '';
  let description = '';
  let unit = '';
  let m: OtlpMetric | undefined;
  while (!r.done) {
    const tag = r.varint();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expect(wt, 2, 'metric name');
        name = r.string();
        break;
      case 2:
        expect(wt, 2, 'metric description');
        description = r.string();
        break;
      case 3:
        expect(wt, 2, 'metric unit');
        unit = r.string();
        break;
      case 5:
      case 7:
      case 9:
      case 10:
      case 11:
        expect(wt, 2, 'metric data');
        m = metricData(tag >>> 3, r.sub());
        break;
      default:
        r.skip(wt);
    }
  }
  if (!m) return { kind: 'empty', name, description, unit, points: [] };
  m.name = name;
  m.description = description;
  m.unit = unit;
  return m;
}

function metricData(field: number, r: ProtoReader): OtlpMetric {
  let temporality = Temporality.Unspecified;
  let monotonic = false;
  const points: unknown[] = [];
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1) {
      expect(wt, 2, 'data point');
      const p = r.sub();
      if (field === 5 || field === 7) points.push(numberPoint(p));
      else if (field === 9) points.push(histogramPoint(p));
      else if (field === 10) points.push(expHistogramPoint(p));
      else points.push(summaryPoint(p));
    } else if (f === 2 && field !== 5 && field !== 11) {
      expect(wt, 0, 'aggregation_temporality');
      temporality = r.varint();
    } else if (f === 3 && field === 7) {
      expect(wt, 0, 'is_monotonic');
      monotonic = r.varint() !== 0;
    } else r.skip(wt);
  }
  const base = { name: '', description: '', unit: '' };
  switch (field) {
    case 5:
      return { ...base, kind: 'gauge', points: points as NumberPoint[] };
    case 7:
      return { ...base, kind: 'sum', temporality, monotonic, points: points as NumberPoint[] };
    case 9:
      return { ...base, kind: 'histogram', temporality, points: points as HistogramPoint[] };
    case 10:
      return { ...base, kind: 'exponential_histogram', temporality, points: points as ExpHistogramPoint[] };
    default:
      return { ...base, kind: 'summary', points: points as SummaryPoint[] };
  }
}

function numberPoint(r: ProtoReader): NumberPoint {
  const p: NumberPoint = { attrs: [], startMs: 0, timeMs: 0, value: NaN, hasValue: false, flags: 0 };
  while (!r.done) {
    const tag = r.varint();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 2:
        expect(wt, 1, 'start_time_unix_nano');
        p.startMs = r.fixed64() / kNsPerMs;
        break;
      case 3:
        expect(wt, 1, 'time_unix_nano');
        p.timeMs = r.fixed64() / kNsPerMs;
        break;
      case 4:
        expect(wt, 1, 'as_double');
        p.value = r.double();
        p.hasValue = true;
        break;
      case 6:
        expect(wt, 1, 'as_int');
        p.value = r.sfixed64();
        p.hasValue = true;
        break;
      case 7:
        expect(wt, 2, 'attribute');
        p.attrs.push(keyValue(r.sub()));
        break;
      case 8:
        expect(wt, 0, 'flags');
        p.flags = r.varint();
        break;
      default:
        r.skip(wt);
    }
  }
  return p;
}

function histogramPoint(r: ProtoReader): HistogramPoint {
  const p: HistogramPoint = { attrs: [], startMs: 0, timeMs: 0, count: 0, sum: undefined, bucketCounts: [], bounds: [], flags: 0 };
  while (!r.done) {
    const tag = r.varint();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 2:
        expect(wt, 1, 'start_time_unix_nano');
        p.startMs = r.fixed64() / kNsPerMs;
        break;
      case 3:
        expect(wt, 1, 'time_unix_nano');
        p.timeMs = r.fixed64() / kNsPerMs;
        break;
      case 4:
        expect(wt, 1, 'count');
        p.count = r.fixed64();
        break;
      case 5:
        expect(wt, 1, 'sum');
        p.sum = r.double();
        break;
      case 6:
        r.repeated64(wt, p.bucketCounts, readFixed64);
        break;
      case 7:
        r.repeated64(wt, p.bounds, readDouble);
        break;
      case 9:
        expect(wt, 2, 'attribute');
        p.attrs.push(keyValue(r.sub()));
        break;
      case 10:
        expect(wt, 0, 'flags');
        p.flags = r.varint();
        break;
      default:
        r.skip(wt);
    }
  }
  return p;
}

function expBuckets(r: ProtoReader): ExpBuckets {
  const b: ExpBuckets = { offset: 0, counts: [] };
  while (!r.done) {
    const tag = r.varint();
    const wt = tag & 7;
    if (tag >>> 3 === 1) {
      expect(wt, 0, 'bucket offset');
      b.offset = r.sint32();
    } else if (tag >>> 3 === 2) r.repeatedVarint(wt, b.counts);
    else r.skip(wt);
  }
  return b;
}

function expHistogramPoint(r: ProtoReader): ExpHistogramPoint {
  const p: ExpHistogramPoint = {
    attrs: [],
    startMs: 0,
    timeMs: 0,
    count: 0,
    sum: undefined,
    scale: 0,
    zeroCount: 0,
    positive: { offset: 0, counts: [] },
    negative: { offset: 0, counts: [] },
    flags: 0,
  };
  while (!r.done) {
    const tag = r.varint();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expect(wt, 2, 'attribute');
        p.attrs.push(keyValue(r.sub()));
        break;
      case 2:
        expect(wt, 1, 'start_time_unix_nano');
        p.startMs = r.fixed64() / kNsPerMs;
        break;
      case 3:
        expect(wt, 1, 'time_unix_nano');
        p.timeMs = r.fixed64() / kNsPerMs;
        break;
      case 4:
        expect(wt, 1, 'count');
        p.count = r.fixed64();
        break;
      case 5:
        expect(wt, 1, 'sum');
        p.sum = r.double();
        break;
      case 6:
        expect(wt, 0, 'scale');
        p.scale = r.sint32();
        break;
      case 7:
        expect(wt, 1, 'zero_count');
        p.zeroCount = r.fixed64();
        break;
      case 8:
        expect(wt, 2, 'positive buckets');
        p.positive = expBuckets(r.sub());
        break;
      case 9:
        expect(wt, 2, 'negative buckets');
        p.negative = expBuckets(r.sub());
        break;
      case 10:
        expect(wt, 0, 'flags');
        p.flags = r.varint();
        break;
      default:
        r.skip(wt);
    }
  }
  return p;
}

function summaryPoint(r: ProtoReader): SummaryPoint {
  const p: SummaryPoint = { attrs: [], startMs: 0, timeMs: 0, count: 0, sum: 0, quantiles: [], flags: 0 };
  while (!r.done) {
    const tag = r.varint();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 2:
        expect(wt, 1, 'start_time_unix_nano');
        p.startMs = r.fixed64() / kNsPerMs;
        break;
      case 3:
        expect(wt, 1, 'time_unix_nano');
        p.timeMs = r.fixed64() / kNsPerMs;
        break;
      case 4:
        expect(wt, 1, 'count');
        p.count = r.fixed64();
        break;
      case 5:
        expect(wt, 1, 'sum');
        p.sum = r.double();
        break;
      case 6: {
        expect(wt, 2, 'quantile_values');
        const q = r.sub();
        let quantile = 0;
        let value = 0;
        while (!q.done) {
          const t = q.varint();
          if (t >>> 3 === 1 && (t & 7) === 1) quantile = q.double();
          else if (t >>> 3 === 2 && (t & 7) === 1) value = q.double();
          else q.skip(t & 7);
        }
        p.quantiles.push([quantile, value]);
        break;
      }
      case 7:
        expect(wt, 2, 'attribute');
        p.attrs.push(keyValue(r.sub()));
        break;
      case 8:
        expect(wt, 0, 'flags');
        p.flags = r.varint();
        break;
      default:
        r.skip(wt);
    }
  }
  return p;
}
