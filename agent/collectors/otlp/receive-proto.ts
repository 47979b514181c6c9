/**
 * The protobuf receiver's decoder of `ExportMetricsServiceRequest`: what decode-proto.ts decodes, in the shape the
 * translator writes (`OtlpTranslator.writeReceived`), with Gauge and Sum points read straight from the bytes. Each
 * such point comes out as its stream (found in a StreamCache by its attribute bytes under its metric's context,
 * decoded only when new) and its value, times and flags in parallel arrays; every other metric (histograms,
 * exponential histograms, summaries, a metric with no name, no or several data fields, a sum without a temporality)
 * is decoded by decode-proto.ts and written as the full decoder's result would be. Resources, scopes and metrics keep
 * their order, so the writes are the full decoder's, in its order.
 *
 * The bytes it accepts and refuses are decode-proto.ts's (a property test holds the two together): the whole body is
 * read before anything is written, and a body it cannot read is decoded again by decode-proto.ts, whose error (or,
 * were the two to disagree, whose result) is the answer.
 */
import { keyValue, resourceAttrs, scopeIdentity } from './decode-attrs';
import { decodeMetricsRequest, metric } from './decode-proto';
import { expect } from './proto-reader';
import { Attrs, OtlpDecodeError, ResourceMetrics } from './model';
import { ProtoReader } from './proto-reader';
import { hashRange } from '../../formats/byte-hash';
import { kEnded, kHasValue, looseStream, MetricContext, PointStream, ReceivedRequest, StreamCache } from './stream-cache';
import { numberDesc, OtlpTranslator, pointLabels, scopedLabels } from './translate';

const kNsPerMs = 1e6;

function received(): ReceivedRequest {
  return new ReceivedRequest();
}

/** Decodes a request for `OtlpTranslator.writeReceived`; throws what decodeMetricsRequest throws for the same body. */
export function receiveMetricsRequest(buf: Buffer, cache: StreamCache, tr: OtlpTranslator): ReceivedRequest {
  try {
    return receiveFast(buf, cache, tr);
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    return fromResources(decodeMetricsRequest(buf), tr);
  }
}

/** The full decoder's result as ops (every metric written by the translator's general path). */
export function fromResources(resources: readonly ResourceMetrics[], tr: OtlpTranslator): ReceivedRequest {
  const out = received();
  for (const rm of resources) {
    out.ops.push({ kind: 'resource', attrs: rm.attrs });
    const base = tr.baseLabels(rm.attrs);
    for (const s of rm.scopes) {
      const scoped = scopedLabels(base, s.name, s.version);
      for (const m of s.metrics) out.ops.push({ kind: 'metric', metric: m, base: scoped });
    }
  }
  return out;
}

/** The receiver's own reading of the body (no fallback): exported for the property test. */
export function receiveFast(buf: Buffer, cache: StreamCache, tr: OtlpTranslator): ReceivedRequest {
  const r = new ProtoReader(buf);
  const out = received();
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  while (!r.done) {
    const tag = r.varint();
    if (tag >>> 3 === 1) {
      expect(tag & 7, 2, 'resource_metrics');
      resourceMetrics(r.sub(), out, cache, tr, dv);
    } else r.skip(tag & 7);
  }
  return out;
}

function resourceMetrics(r: ProtoReader, out: ReceivedRequest, cache: StreamCache, tr: OtlpTranslator, dv: DataView): void {
  const attrs: Attrs = [];
  const scopes: number[] = [];
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) {
      expect(tag & 7, 2, 'resource');
      resourceAttrs(r.sub(), attrs);
    } else if (f === 2) {
      expect(tag & 7, 2, 'scope_metrics');
      scopes.push(...r.span());
    } else r.skip(tag & 7);
  }
  out.ops.push({ kind: 'resource', attrs });
  const base = tr.baseLabels(attrs);
  for (let i = 0; i < scopes.length; i += 2) scopeMetrics(new ProtoReader(r.buf, scopes[i], scopes[i + 1]), base, out, cache, dv);
}

function scopeMetrics(r: ProtoReader, base: Record<string, string>, out: ReceivedRequest, cache: StreamCache, dv: DataView): void {
  const scope = { name: '', version: '' };
  const metrics: number[] = [];
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) {
      expect(tag & 7, 2, 'scope');
      scopeIdentity(r.sub(), scope);
    } else if (f === 2) {
      expect(tag & 7, 2, 'metric');
      metrics.push(...r.span());
    } else r.skip(tag & 7);
  }
  const scoped = scopedLabels(base, scope.name, scope.version);
  let scopedKey: string | undefined;
  for (let i = 0; i < metrics.length; i += 2) {
    const start = metrics[i]!;
    const end = metrics[i + 1]!;
    if (!numberMetric(r.buf, start, end, scoped, (scopedKey ??= contextKey(scoped)), out, cache, dv)) {
      out.ops.push({ kind: 'metric', metric: metric(new ProtoReader(r.buf, start, end)), base: scoped });
    }
  }
}

/** A string naming `parts` unambiguously (each prefixed by its length). */
function keyOf(parts: readonly string[]): string {
  let k = '';
  for (const p of parts) k += p.length + ':' + p;
  return k;
}

function contextKey(labels: Record<string, string>): string {
  const parts: string[] = [];
  for (const name in labels) parts.push(name, labels[name]!);
  return keyOf(parts);
}

/** Start and end of each data point of the metric being read (grown, never shrunk: no array per metric). */
let pointSpans = new Uint32Array(2048);
let spanCount = 0;

/**
 * Reads a Metric holding one Gauge or Sum (with a name, and a temporality for a sum) as cached streams; false for
 * any other metric, which the caller decodes in full.
 */
function numberMetric(buf: Buffer, start: number, end: number, scoped: Record<string, string>, scopedKey: string, out: ReceivedRequest, cache: StreamCache, dv: DataView): boolean {
  const r = new ProtoReader(buf, start, end);
  let name = '';
  let description = '';
  let unit = '';
  let field = 0;
  let fields = 0;
  let dStart = 0;
  let dEnd = 0;
  while (!r.done) {
    const tag = r.varint();
    const wt = tag & 7;
    const f = tag >>> 3;
    if (f === 1) {
      expect(wt, 2, 'metric name');
      name = r.string();
    } else if (f === 2) {
      expect(wt, 2, 'metric description');
      description = r.string();
    } else if (f === 3) {
      expect(wt, 2, 'metric unit');
      unit = r.string();
    } else if (f === 5 || f === 7 || f === 9 || f === 10 || f === 11) {
      expect(wt, 2, 'metric data');
      [dStart, dEnd] = r.span();
      field = f;
      fields++;
    } else r.skip(wt);
  }
  if (fields !== 1 || (field !== 5 && field !== 7) || name === '') return false;
  const d = new ProtoReader(buf, dStart, dEnd);
  let temporality = 0;
  let monotonic = false;
  spanCount = 0;
  while (!d.done) {
    const tag = d.varint();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1) {
      expect(wt, 2, 'data point');
      const s = d.skipSpan();
      if (spanCount + 2 > pointSpans.length) {
        const grown = new Uint32Array(pointSpans.length * 2);
        grown.set(pointSpans);
        pointSpans = grown;
      }
      pointSpans[spanCount++] = s;
      pointSpans[spanCount++] = d.pos;
    } else if (f === 2 && field === 7) {
      expect(wt, 0, 'aggregation_temporality');
      temporality = d.varint();
    } else if (f === 3 && field === 7) {
      expect(wt, 0, 'is_monotonic');
      monotonic = d.varint() !== 0;
    } else d.skip(wt);
  }
  if (field === 7 && temporality !== 1 && temporality !== 2) return false;
  const counter = field === 7 && monotonic;
  const delta = field === 7 && temporality === 1;
  const key = scopedKey + keyOf([`${field}.${temporality}.${counter ? 1 : 0}`, name, unit, description]);
  const ctx = cache.context(key, () => ({ desc: numberDesc(name, unit, description, counter, delta), base: scoped, delta }));
  const from = out.n;
  const p = new ProtoReader(buf);
  out.reserve(spanCount / 2);
  for (let i = 0; i < spanCount; i += 2) numberPoint(p.at(pointSpans[i]!, pointSpans[i + 1]!), ctx, out, cache, dv);
  out.ops.push({ kind: 'points', ctx, from, to: out.n });
  return true;
}

/** Reads one NumberDataPoint; its attributes are decoded only when its stream is new. */
function numberPoint(p: ProtoReader, ctx: MetricContext, out: ReceivedRequest, cache: StreamCache, dv: DataView): void {
  const buf = p.buf;
  const start = p.pos;
  const end = p.end;
  let startMs = 0;
  let timeMs = 0;
  let value = NaN;
  let state = 0;
  let aStart = -1;
  let aEnd = -1;
  let contiguous = true;
  while (!p.done) {
    const at = p.pos;
    const tag = p.varint();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 2:
        // The interval is read only where the delta conversion needs it (the same 8 bytes are checked either way).
        expect(wt, 1, 'start_time_unix_nano');
        if (ctx.delta) startMs = p.fixed64() / kNsPerMs;
        else p.skip(1);
        break;
      case 3:
        expect(wt, 1, 'time_unix_nano');
        if (ctx.delta) timeMs = p.fixed64() / kNsPerMs;
        else p.skip(1);
        break;
      case 4:
        expect(wt, 1, 'as_double');
        // Read through the DataView: Buffer.readDoubleLE is a call per point.
        if (p.pos + 8 > end) throw new OtlpDecodeError('truncated field');
        value = dv.getFloat64(p.pos, true);
        p.pos += 8;
        state |= kHasValue;
        break;
      case 6:
        expect(wt, 1, 'as_int');
        value = p.sfixed64();
        state |= kHasValue;
        break;
      case 7:
        expect(wt, 2, 'attribute');
        if (aStart < 0) aStart = at;
        else if (at !== aEnd) contiguous = false;
        p.skipSpan();
        aEnd = p.pos;
        break;
      case 8:
        expect(wt, 0, 'flags');
        state = (state & ~kEnded) | (p.varint() & kEnded);
        break;
      default:
        p.skip(wt);
    }
  }
  let stream: PointStream;
  if (!contiguous) {
    stream = looseStream(ctx, pointLabels(ctx.base, attributes(buf, start, end)));
  } else {
    if (aStart < 0) aStart = aEnd = start;
    const hash = hashRange(ctx.seed, dv, aStart, aEnd);
    stream = cache.find(ctx, hash, dv, aStart, aEnd) ?? cache.add(ctx, hash, buf, aStart, aEnd, pointLabels(ctx.base, attributes(buf, aStart, aEnd)));
  }
  const i = out.n++;
  out.streams.push(stream);
  out.values[i] = value;
  out.startMs[i] = startMs;
  out.timeMs[i] = timeMs;
  out.state[i] = state;
}

/** The attribute fields (7) between `start` and `end`, decoded. */
function attributes(buf: Buffer, start: number, end: number): Attrs {
  const r = new ProtoReader(buf, start, end);
  const attrs: Attrs = [];
  while (!r.done) {
    const tag = r.varint();
    if (tag >>> 3 === 7 && (tag & 7) === 2) attrs.push(keyValue(r.sub()));
    else r.skip(tag & 7);
  }
  return attrs;
}
