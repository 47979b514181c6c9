/**
 * Prometheus remote write 2.0 `io.prometheus.write.v2.Request` encoder, by hand, for the fields Outrider sends:
 *
 *   Request    { reserved 1 to 3; repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
 *   TimeSeries { repeated uint32 labels_refs = 1 (packed); repeated Sample samples = 2; Metadata metadata = 5; }
 *   Sample     { double value = 1; int64 timestamp = 2; }            // timestamp in ms
 *   Metadata   { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
 *
 * Every string (label names and values, help texts) is written once into `symbols`, whose first element is the empty
 * string, and referenced by index. Request fields 1-3 are reserved so a 1.0 decoder sees no time series in a 2.0
 * body (it does not misread it). Histograms, exemplars and created timestamps are not sent. Also a decoder (used by
 * */
import type { MetricType } from '../../store/types';
import { RwSeries, varintLen, writeSampleValue, writeVarint } from './protobuf';

/** Metadata.MetricType numbers. */
const metricTypes: Record<MetricType, number> = { counter: 1, gauge: 2, histogram: 3, summary: 5, untyped: 0 };

/** Encodes series as a 2.0 Request. A series' `meta` (type, help) becomes its Metadata. */
export function encodeRequestV2(series: readonly RwSeries[]): Buffer {
  const symbols: string[] = [''];
  const index = new Map<string, number>([['', 0]]);
  const ref = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = symbols.length;
      symbols.push(s);
      index.set(s, i);
    }
    return i;
  };
  // Pass 1: references and sizes.
  const refs: number[][] = [];
  const packedLens: number[] = [];
  const metaLens: number[] = [];
  const tsLens: number[] = [];
  const types: number[] = [];
  const helps: number[] = [];
  let total = 0;
  for (const s of series) {
    const r: number[] = [];
    let packed = 0;
    for (const [n, v] of s.labels) {
      const a = ref(n);
      const b = ref(v);
      r.push(a, b);
      packed += varintLen(a) + varintLen(b);
    }
    refs.push(r);
    packedLens.push(packed);
    let len = r.length > 0 ? 1 + varintLen(packed) + packed : 0;
    for (const [, t] of s.samples) {
      const sl = 9 + (t !== 0 ? 1 + varintLen(t) : 0);
      len += 1 + varintLen(sl) + sl;
    }
    const type = s.meta ? metricTypes[s.meta.type] : 0;
    const help = s.meta?.help ? ref(s.meta.help) : 0;
    types.push(type);
    helps.push(help);
    const ml = (type ? 1 + varintLen(type) : 0) + (help ? 1 + varintLen(help) : 0);
    metaLens.push(ml);
    if (ml > 0) len += 1 + varintLen(ml) + ml;
    tsLens.push(len);
    total += 1 + varintLen(len) + len;
  }
  const symLens: number[] = [];
  for (const s of symbols) {
    const l = Buffer.byteLength(s);
    symLens.push(l);
    total += 1 + varintLen(l) + l;
  }
  // Pass 2: bytes.
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    buf[pos++] = 0x22; // field 4, length-delimited
    pos = writeVarint(buf, pos, symLens[i]!);
    pos += buf.write(symbols[i]!, pos, 'utf8');
  }
  for (let i = 0; i < series.length; i++) {
    buf[pos++] = 0x2a; // field 5, length-delimited
    pos = writeVarint(buf, pos, tsLens[i]!);
    const r = refs[i]!;
    if (r.length > 0) {
      buf[pos++] = 0x0a; // labels_refs, packed
      pos = writeVarint(buf, pos, packedLens[i]!);
      for (const x of r) pos = writeVarint(buf, pos, x);
    }
    for (const [v, t] of series[i]!.samples) {
      buf[pos++] = 0x12;
      pos = writeVarint(buf, pos, 9 + (t !== 0 ? 1 + varintLen(t) : 0));
      buf[pos++] = 0x09;
      writeSampleValue(buf, pos, v, series[i]!.stale);
      pos += 8;
      if (t !== 0) {
        buf[pos++] = 0x10;
        pos = writeVarint(buf, pos, t);
      }
    }
    const ml = metaLens[i]!;
    if (ml > 0) {
      buf[pos++] = 0x2a; // metadata = 5
      pos = writeVarint(buf, pos, ml);
      if (types[i]) {
        buf[pos++] = 0x08;
        pos = writeVarint(buf, pos, types[i]!);
      }
      if (helps[i]) {
        buf[pos++] = 0x18;
        pos = writeVarint(buf, pos, helps[i]!);
      }
    }
  }
  return buf;
}
