/**
 * Decoder of the OTLP/HTTP JSON encoding of `ExportMetricsServiceRequest` (the protobuf JSON mapping: lowerCamelCase
 * field names, 64-bit integers as numbers or decimal strings, enums as integers, doubles possibly "NaN"/"Infinity")
 * into the receiver's model. A field of the wrong JSON type is an OtlpDecodeError naming its path.
 */
import { anyValueString, Attrs, ExpBuckets, ExpHistogramPoint, HistogramPoint, NumberPoint, OtlpDecodeError, OtlpMetric, ResourceMetrics, SummaryPoint, Temporality } from './model';

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new OtlpDecodeError(`${path} must be an object`);
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${path} must be an array`);
  return v;
}

function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new OtlpDecodeError(`${path} must be a string`);
  return v;
}

function num(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n)) return n;
  }
  throw new OtlpDecodeError(`${path} must be a number`);
}

function attrs(v: unknown, path: string): Attrs {
  const out: Attrs = [];
  for (const [i, kv] of arr(v, path).entries()) {
    const o = obj(kv, `${path}[${i}]`);
    out.push([str(o.key, `${path}[${i}].key`), anyValueString(anyValue(o.value, `${path}[${i}].value`, 0))]);
  }
  return out;
}

function anyValue(v: unknown, path: string, depth: number): unknown {
  if (depth > 16) throw new OtlpDecodeError(`${path} is nested more than 16 levels`);
  const o = obj(v, path);
  if ('stringValue' in o) return str(o.stringValue, `${path}.stringValue`);
  if ('boolValue' in o) return o.boolValue === true;
  if ('intValue' in o) return num(o.intValue, `${path}.intValue`);
  if ('doubleValue' in o) return num(o.doubleValue, `${path}.doubleValue`);
  if ('arrayValue' in o) return arr(obj(o.arrayValue, path).values, `${path}.arrayValue.values`).map((x, i) => anyValue(x, `${path}.arrayValue.values[${i}]`, depth + 1));
  if ('kvlistValue' in o) {
    const out: Record<string, unknown> = {};
    for (const [i, kv] of arr(obj(o.kvlistValue, path).values, `${path}.kvlistValue.values`).entries()) {
      const e = obj(kv, `${path}.kvlistValue.values[${i}]`);
      out[str(e.key, `${path}.kvlistValue.values[${i}].key`)] = anyValue(e.value, `${path}.kvlistValue.values[${i}].value`, depth + 1);
    }
    return out;
  }
  if ('bytesValue' in o) return str(o.bytesValue, `${path}.bytesValue`);
  return '';
}

const nsToMs = (v: unknown, path: string): number => num(v, path) / 1e6;

export function decodeMetricsRequestJson(text: string): ResourceMetrics[] {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError(`body is not JSON: ${(err as Error).message}`);
  }
  const out: ResourceMetrics[] = [];
  for (const [i, rmv] of arr(obj(root, 'request').resourceMetrics, 'resourceMetrics').entries()) {
    const p = `resourceMetrics[${i}]`;
    const rm = obj(rmv, p);
    const res: ResourceMetrics = { attrs: attrs(obj(rm.resource, `${p}.resource`).attributes, `${p}.resource.attributes`), scopes: [] };
    for (const [j, smv] of arr(rm.scopeMetrics, `${p}.scopeMetrics`).entries()) {
      const sp = `${p}.scopeMetrics[${j}]`;
      const sm = obj(smv, sp);
      const scope = obj(sm.scope, `${sp}.scope`);
      res.scopes.push({
        name: str(scope.name, `${sp}.scope.name`),
        version: str(scope.version, `${sp}.scope.version`),
        metrics: arr(sm.metrics, `${sp}.metrics`).map((m, k) => metric(obj(m, `${sp}.metrics[${k}]`), `${sp}.metrics[${k}]`)),
      });
    }
    out.push(res);
  }
  return out;
}

function metric(m: Obj, path: string): OtlpMetric {
  const base = { name: str(m.name, `${path}.name`), description: str(m.description, `${path}.description`), unit: str(m.unit, `${path}.unit`) };
  if (m.gauge !== undefined) {
    const g = obj(m.gauge, `${path}.gauge`);
    return { ...base, kind: 'gauge', points: arr(g.dataPoints, `${path}.gauge.dataPoints`).map((p, i) => numberPoint(obj(p, `${path}.gauge.dataPoints[${i}]`), `${path}.gauge.dataPoints[${i}]`)) };
  }
  if (m.sum !== undefined) {
    const s = obj(m.sum, `${path}.sum`);
    return {
      ...base,
      kind: 'sum',
      temporality: num(s.aggregationTemporality, `${path}.sum.aggregationTemporality`) as Temporality,
      monotonic: s.isMonotonic === true,
      points: arr(s.dataPoints, `${path}.sum.dataPoints`).map((p, i) => numberPoint(obj(p, `${path}.sum.dataPoints[${i}]`), `${path}.sum.dataPoints[${i}]`)),
    };
  }
  if (m.histogram !== undefined) {
    const h = obj(m.histogram, `${path}.histogram`);
    return {
      ...base,
      kind: 'histogram',
      temporality: num(h.aggregationTemporality, `${path}.histogram.aggregationTemporality`) as Temporality,
      points: arr(h.dataPoints, `${path}.histogram.dataPoints`).map((p, i) => histogramPoint(obj(p, `${path}.histogram.dataPoints[${i}]`), `${path}.histogram.dataPoints[${i}]`)),
    };
  }
  if (m.exponentialHistogram !== undefined) {
    const h = obj(m.exponentialHistogram, `${path}.exponentialHistogram`);
    return {
      ...base,
      kind: 'exponential_histogram',
      temporality: num(h.aggregationTemporality, `${path}.exponentialHistogram.aggregationTemporality`) as Temporality,
      points: arr(h.dataPoints, `${path}.exponentialHistogram.dataPoints`).map((p, i) =>
        expPoint(obj(p, `${path}.exponentialHistogram.dataPoints[${i}]`), `${path}.exponentialHistogram.dataPoints[${i}]`),
      ),
    };
  }
  if (m.summary !== undefined) {
    const s = obj(m.summary, `${path}.summary`);
    return {
      ...base,
      kind: 'summary',
      points: arr(s.dataPoints, `${path}.summary.dataPoints`).map((p, i) => summaryPoint(obj(p, `${path}.summary.dataPoints[${i}]`), `${path}.summary.dataPoints[${i}]`)),
    };
  }
  return { ...base, kind: 'empty', points: [] };
}

function numberPoint(p: Obj, path: string): NumberPoint {
  const hasDouble = p.asDouble !== undefined && p.asDouble !== null;
  const hasInt = p.asInt !== undefined && p.asInt !== null;
  return {
    attrs: attrs(p.attributes, `${path}.attributes`),
    startMs: nsToMs(p.startTimeUnixNano, `${path}.startTimeUnixNano`),
    timeMs: nsToMs(p.timeUnixNano, `${path}.timeUnixNano`),
    value: hasDouble ? num(p.asDouble, `${path}.asDouble`) : hasInt ? num(p.asInt, `${path}.asInt`) : NaN,
    hasValue: hasDouble || hasInt,
    flags: num(p.flags, `${path}.flags`),
  };
}

function histogramPoint(p: Obj, path: string): HistogramPoint {
  return {
    attrs: attrs(p.attributes, `${path}.attributes`),
    startMs: nsToMs(p.startTimeUnixNano, `${path}.startTimeUnixNano`),
    timeMs: nsToMs(p.timeUnixNano, `${path}.timeUnixNano`),
    count: num(p.count, `${path}.count`),
    sum: p.sum === undefined || p.sum === null ? undefined : num(p.sum, `${path}.sum`),
    bucketCounts: arr(p.bucketCounts, `${path}.bucketCounts`).map((c, i) => num(c, `${path}.bucketCounts[${i}]`)),
    bounds: arr(p.explicitBounds, `${path}.explicitBounds`).map((c, i) => num(c, `${path}.explicitBounds[${i}]`)),
    flags: num(p.flags, `${path}.flags`),
  };
}

function buckets(v: unknown, path: string): ExpBuckets {
  const b = obj(v, path);
  return { offset: num(b.offset, `${path}.offset`), counts: arr(b.bucketCounts, `${path}.bucketCounts`).map((c, i) => num(c, `${path}.bucketCounts[${i}]`)) };
}

function expPoint(p: Obj, path: string): ExpHistogramPoint {
  return {
    attrs: attrs(p.attributes, `${path}.attributes`),
    startMs: nsToMs(p.startTimeUnixNano, `${path}.startTimeUnixNano`),
    timeMs: nsToMs(p.timeUnixNano, `${path}.timeUnixNano`),
    count: num(p.count, `${path}.count`),
    sum: p.sum === undefined || p.sum === null ? undefined : num(p.sum, `${path}.sum`),
    scale: num(p.scale, `${path}.scale`),
    zeroCount: num(p.zeroCount, `${path}.zeroCount`),
    positive: buckets(p.positive, `${path}.positive`),
    negative: buckets(p.negative, `${path}.negative`),
    flags: num(p.flags, `${path}.flags`),
  };
}

function summaryPoint(p: Obj, path: string): SummaryPoint {
  return {
    attrs: attrs(p.attributes, `${path}.attributes`),
    startMs: nsToMs(p.startTimeUnixNano, `${path}.startTimeUnixNano`),
    timeMs: nsToMs(p.timeUnixNano, `${path}.timeUnixNano`),
    count: num(p.count, `${path}.count`),
    sum: num(p.sum, `${path}.sum`),
    quantiles: arr(p.quantileValues, `${path}.quantileValues`).map((q, i) => {
      const o = obj(q, `${path}.quantileValues[${i}]`);
      return [num(o.quantile, `${path}.quantileValues[${i}].quantile`), num(o.value, `${path}.quantileValues[${i}].value`)] as [number, number];
    }),
    flags: num(p.flags, `${path}.flags`),
  };
}
