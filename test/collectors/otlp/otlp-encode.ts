/**
 * Encoders of the receiver's OTLP model (agent/collectors/otlp/model.ts) back to an `ExportMetricsServiceRequest`, in
 * protobuf and in the OTLP JSON mapping, written from opentelemetry-proto v1's field numbers and names (not from the
 * decoders), so the fuzz targets can check that a request decodes to what it was written from. Attribute values are
 * written as strings; times are written in nanoseconds (the model's milliseconds × 1e6).
 */
import type { Attrs, ExpBuckets, OtlpMetric, ResourceMetrics } from '../../../agent/collectors/otlp/model';

function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const tag = (field: number, wt: number) => varint((field << 3) | wt);
const ld = (field: number, ...body: Buffer[]) => {
  const b = Buffer.concat(body);
  return Buffer.concat([tag(field, 2), varint(b.length), b]);
};
const str = (field: number, s: string) => ld(field, Buffer.from(s, 'utf8'));
const vint = (field: number, n: number) => Buffer.concat([tag(field, 0), varint(n)]);
const zigzag = (field: number, n: number) => vint(field, ((n << 1) ^ (n >> 31)) >>> 0);
function fixed64(field: number, n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return Buffer.concat([tag(field, 1), b]);
}
function dbl(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([tag(field, 1), b]);
}
const ns = (ms: number) => Math.round(ms * 1e6);
const kv = (field: number, a: Attrs) => a.map(([k, v]) => ld(field, str(1, k), ld(2, str(1, v))));

function buckets(field: number, b: ExpBuckets): Buffer {
  return ld(field, zigzag(1, b.offset), ld(2, ...b.counts.map((c) => varint(c))));
}

function metricProto(m: OtlpMetric): Buffer {
  const head = [str(1, m.name), str(2, m.description), str(3, m.unit)];
  const t = (p: { startMs: number; timeMs: number }) => [fixed64(2, ns(p.startMs)), fixed64(3, ns(p.timeMs))];
  switch (m.kind) {
    case 'gauge':
    case 'sum': {
      const pts = m.points.map((p) => ld(1, ...t(p), dbl(4, p.value), ...kv(7, p.attrs), vint(8, p.flags)));
      return ld(2, ...head, m.kind === 'gauge' ? ld(5, ...pts) : ld(7, ...pts, vint(2, m.temporality), vint(3, m.monotonic ? 1 : 0)));
    }
    case 'histogram': {
      const pts = m.points.map((p) =>
        ld(1, ...t(p), fixed64(4, p.count), dbl(5, p.sum!), ...p.bucketCounts.map((c) => fixed64(6, c)), ld(7, ...p.bounds.map((b) => dbl(0, b).subarray(1))), ...kv(9, p.attrs), vint(10, p.flags)),
      );
      return ld(2, ...head, ld(9, ...pts, vint(2, m.temporality)));
    }
    case 'exponential_histogram': {
      const pts = m.points.map((p) =>
        ld(1, ...kv(1, p.attrs), ...t(p), fixed64(4, p.count), dbl(5, p.sum!), zigzag(6, p.scale), fixed64(7, p.zeroCount), buckets(8, p.positive), buckets(9, p.negative), vint(10, p.flags)),
      );
      return ld(2, ...head, ld(10, ...pts, vint(2, m.temporality)));
    }
    case 'summary': {
      const pts = m.points.map((p) => ld(1, ...t(p), fixed64(4, p.count), dbl(5, p.sum), ...p.quantiles.map(([q, v]) => ld(6, dbl(1, q), dbl(2, v))), ...kv(7, p.attrs), vint(8, p.flags)));
      return ld(2, ...head, ld(11, ...pts));
    }
    default:
      return ld(2, ...head);
  }
}

export function encodeProto(rms: ResourceMetrics[]): Buffer {
  return Buffer.concat(rms.map((rm) => ld(1, ld(1, ...kv(1, rm.attrs)), ...rm.scopes.map((s) => ld(2, ld(1, str(1, s.name), str(2, s.version)), ...s.metrics.map(metricProto))))));
}

/** A double as the JSON mapping writes it (the non-finite ones as strings). */
const jd = (v: number): number | string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);
const jattrs = (a: Attrs) => a.map(([key, v]) => ({ key, value: { stringValue: v } }));
const jt = (p: { startMs: number; timeMs: number; attrs: Attrs; flags: number }) => ({
  attributes: jattrs(p.attrs),
  startTimeUnixNano: String(ns(p.startMs)),
  timeUnixNano: String(ns(p.timeMs)),
  flags: p.flags,
});
const jb = (b: ExpBuckets) => ({ offset: b.offset, bucketCounts: b.counts.map(String) });

function metricJson(m: OtlpMetric): Record<string, unknown> {
  const head = { name: m.name, description: m.description, unit: m.unit };
  switch (m.kind) {
    case 'gauge':
      return { ...head, gauge: { dataPoints: m.points.map((p) => ({ ...jt(p), asDouble: jd(p.value) })) } };
    case 'sum':
      return { ...head, sum: { aggregationTemporality: m.temporality, isMonotonic: m.monotonic, dataPoints: m.points.map((p) => ({ ...jt(p), asDouble: jd(p.value) })) } };
    case 'histogram':
      return {
        ...head,
        histogram: {
          aggregationTemporality: m.temporality,
          dataPoints: m.points.map((p) => ({ ...jt(p), count: String(p.count), sum: jd(p.sum!), bucketCounts: p.bucketCounts.map(String), explicitBounds: p.bounds.map(jd) })),
        },
      };
    case 'exponential_histogram':
      return {
        ...head,
        exponentialHistogram: {
          aggregationTemporality: m.temporality,
          dataPoints: m.points.map((p) => ({ ...jt(p), count: String(p.count), sum: jd(p.sum!), scale: p.scale, zeroCount: String(p.zeroCount), positive: jb(p.positive), negative: jb(p.negative) })),
        },
      };
    case 'summary':
      return {
        ...head,
        summary: { dataPoints: m.points.map((p) => ({ ...jt(p), count: String(p.count), sum: jd(p.sum), quantileValues: p.quantiles.map(([q, v]) => ({ quantile: jd(q), value: jd(v) })) })) },
      };
    default:
      return head;
  }
}

export function encodeJson(rms: ResourceMetrics[]): string {
  return JSON.stringify({
    resourceMetrics: rms.map((rm) => ({
      resource: { attributes: jattrs(rm.attrs) },
      scopeMetrics: rm.scopes.map((s) => ({ scope: { name: s.name, version: s.version }, metrics: s.metrics.map(metricJson) })),
    })),
  });
}
