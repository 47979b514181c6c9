/**
 * Bounds-checked decoders of Prometheus remote write request bodies (after snappy), for the receiving side:
 *
 *   1.0  WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *        TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; repeated Histogram histograms = 4; }
 *        MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 *   2.0  Request      { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
 *        TimeSeries   { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3;
 *                       repeated Exemplar exemplars = 4; Metadata metadata = 5; }
 *        Metadata     { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
 *   both Sample       { double value = 1; int64 timestamp = 2; }
 *
 * Both produce the same shape: labels, samples, the family type and help when the body says them, and how many
 * native histograms and exemplars it carried (counted, not kept). A truncated field, a symbol reference out of range
 * or a wrong wire type throws RemoteWriteDecodeError.
 *
 * These keep every label and sample as received (the tests' view of a body); the receiver itself decodes with
 * receive-decode.ts, which accepts and refuses the same bytes and keeps what the store write needs.
 */
import { OutriderError } from '../../core/errors';
import type { MetricType } from '../../store/types';
import { int64FromVarintBytes } from '../../formats/int64-varint';

export class RemoteWriteDecodeError extends OutriderError {
  constructor(message: string) {
    super('OUTRIDER_ERR_RW_MALFORMED', message);
  }
}

export interface DecodedSeries {
  labels: Array<[string, string]>;
  /** [value, timestampMs, 1 when the value is Prometheus's staleness marker] (V8 does not keep NaN payloads). */
  samples: Array<[number, number, number]>;
  type?: MetricType;
  help?: string;
  histograms: number;
  exemplars: number;
}

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  /** An int64 varint: values of 2^63 and more are negatives (two's complement over 10 bytes), read exactly. */
  int64(): number {
    const at = this.pos;
    const n = this.varint();
    return n >= 2 ** 63 ? int64FromVarintBytes(this.buf, at, this.pos) : n;
  }

  varint(): number {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RemoteWriteDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
    }
    throw new RemoteWriteDecodeError('varint longer than 10 bytes');
  }
  sub(): Reader {
    const len = this.varint();
    if (len > this.end - this.pos) throw new RemoteWriteDecodeError('length-delimited field runs past its message');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }
  string(): string {
    const r = this.sub();
    return this.buf.toString('utf8', r.pos, r.end);
  }
  double(): number {
    if (this.pos + 8 > this.end) throw new RemoteWriteDecodeError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  skip(wt: number): void {
    if (wt === 0) this.varint();
    else if (wt === 2) this.sub();
    else if (wt === 1 || wt === 5) {
      const n = wt === 1 ? 8 : 4;
      if (this.pos + n > this.end) throw new RemoteWriteDecodeError('truncated field');
      this.pos += n;
    } else throw new RemoteWriteDecodeError(`unsupported wire type ${wt}`);
  }
}

/** Throws when a field's wire type is not the one its schema gives it. */
export function want(wt: number, expected: number, what: string): void {
  if (wt !== expected) throw new RemoteWriteDecodeError(`${what} has wire type ${wt}, expected ${expected}`);
}

/** Prometheus MetricType numbers (the same in 1.0 and 2.0) → the store's types. */
export function metricType(n: number): MetricType {
  return n === 1 ? 'counter' : n === 2 ? 'gauge' : n === 3 ? 'histogram' : n === 5 ? 'summary' : 'untyped';
}

/** The bit pattern (little-endian) of the NaN Prometheus writes as a staleness marker. */
const kStaleMarker = Buffer.from([2, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

function sample(r: Reader): [number, number, number] {
  let v = 0;
  let ts = 0;
  let stale = 0;
  while (!r.done) {
    const tag = r.varint();
    if (tag >>> 3 === 1) {
      want(tag & 7, 1, 'sample value');
      stale = r.pos + 8 <= r.end && r.buf.compare(kStaleMarker, 0, 8, r.pos, r.pos + 8) === 0 ? 1 : 0;
      v = r.double();
    } else if (tag >>> 3 === 2) {
      want(tag & 7, 0, 'sample timestamp');
      ts = r.int64();
    } else r.skip(tag & 7);
  }
  return [v, ts, stale];
}

export function decodeWriteRequestV1(buf: Buffer): DecodedSeries[] {
  const r = new Reader(buf, 0, buf.length);
  const out: DecodedSeries[] = [];
  const meta = new Map<string, { type: MetricType; help: string }>();
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) {
      want(tag & 7, 2, 'timeseries');
      const ts = r.sub();
      const s: DecodedSeries = { labels: [], samples: [], histograms: 0, exemplars: 0 };
      while (!ts.done) {
        const t = ts.varint();
        const tf = t >>> 3;
        if (tf === 1) {
          want(t & 7, 2, 'label');
          const l = ts.sub();
          let name = '';
          let value = '';
          while (!l.done) {
            const lt = l.varint();
            if (lt >>> 3 === 1 && (lt & 7) === 2) name = l.string();
            else if (lt >>> 3 === 2 && (lt & 7) === 2) value = l.string();
            else l.skip(lt & 7);
          }
          s.labels.push([name, value]);
        } else if (tf === 2) {
          want(t & 7, 2, 'sample');
          s.samples.push(sample(ts.sub()));
        } else if (tf === 3) {
          ts.skip(t & 7);
          s.exemplars++;
        } else if (tf === 4) {
          ts.skip(t & 7);
          s.histograms++;
        } else ts.skip(t & 7);
      }
      out.push(s);
    } else if (f === 3) {
      want(tag & 7, 2, 'metadata');
      const m = r.sub();
      let type = 0;
      let name = '';
      let help = '';
      while (!m.done) {
        const t = m.varint();
        if (t >>> 3 === 1 && (t & 7) === 0) type = m.varint();
        else if (t >>> 3 === 2 && (t & 7) === 2) name = m.string();
        else if (t >>> 3 === 4 && (t & 7) === 2) help = m.string();
        else m.skip(t & 7);
      }
      if (name !== '') meta.set(name, { type: metricType(type), help });
    } else r.skip(tag & 7);
  }
  if (meta.size > 0) {
    for (const s of out) {
      const name = s.labels.find(([k]) => k === '__name__')?.[1];
      const m = name === undefined ? undefined : meta.get(name);
      if (m) {
        s.type = m.type;
        s.help = m.help;
      }
    }
  }
  return out;
}

export function decodeRequestV2(buf: Buffer): DecodedSeries[] {
  const r = new Reader(buf, 0, buf.length);
  const symbols: string[] = [];
  const raw: Array<{ refs: number[]; s: DecodedSeries; typeNum: number; helpRef: number }> = [];
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 4) {
      want(tag & 7, 2, 'symbol');
      symbols.push(r.string());
    } else if (f === 5) {
      want(tag & 7, 2, 'timeseries');
      const ts = r.sub();
      const e = { refs: [] as number[], s: { labels: [], samples: [], histograms: 0, exemplars: 0 } as DecodedSeries, typeNum: 0, helpRef: 0 };
      while (!ts.done) {
        const t = ts.varint();
        const tf = t >>> 3;
        if (tf === 1) {
          if ((t & 7) === 2) {
            const p = ts.sub();
            while (!p.done) e.refs.push(p.varint());
          } else {
            want(t & 7, 0, 'labels_refs');
            e.refs.push(ts.varint());
          }
        } else if (tf === 2) {
          want(t & 7, 2, 'sample');
          e.s.samples.push(sample(ts.sub()));
        } else if (tf === 3) {
          ts.skip(t & 7);
          e.s.histograms++;
        } else if (tf === 4) {
          ts.skip(t & 7);
          e.s.exemplars++;
        } else if (tf === 5) {
          want(t & 7, 2, 'metadata');
          const m = ts.sub();
          while (!m.done) {
            const mt = m.varint();
            if (mt >>> 3 === 1 && (mt & 7) === 0) e.typeNum = m.varint();
            else if (mt >>> 3 === 3 && (mt & 7) === 0) e.helpRef = m.varint();
            else m.skip(mt & 7);
          }
        } else ts.skip(t & 7);
      }
      raw.push(e);
    } else r.skip(tag & 7);
  }
  const sym = (i: number): string => {
    const v = symbols[i];
    if (v === undefined) throw new RemoteWriteDecodeError(`symbol reference ${i} is out of range (${symbols.length} symbols)`);
    return v;
  };
  return raw.map(({ refs, s, typeNum, helpRef }) => {
    if (refs.length % 2 !== 0) throw new RemoteWriteDecodeError('labels_refs has an odd number of entries');
    for (let i = 0; i < refs.length; i += 2) s.labels.push([sym(refs[i]!), sym(refs[i + 1]!)]);
    if (typeNum !== 0) s.type = metricType(typeNum);
    if (helpRef !== 0) s.help = sym(helpRef);
    return s;
  });
}
