/**
 * Prometheus remote write 1.0 WriteRequest encoder, written by hand for the four messages it needs:
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 *
 * Sizes are computed first, then the bytes are written into one buffer (no intermediate allocations per message).
 * Also a small decoder, used by tests and the bench to check what was sent. Remote write 2.0: protobuf-v2.ts.
 */
import { int64FromVarintBytes } from '../../formats/int64-varint';
import type { MetricType } from '../../store/types';

export interface RwSeries {
  /** Sorted by name, `__name__` included. */
  labels: Array<readonly [string, string]>;
  samples: Array<readonly [number, number]>; // [value, timestampMs]
  /** The family's type and help (remote write 2.0 sends them as metadata; 1.0 does not). */
  meta?: { type: MetricType; help: string };
  /** Every sample is Prometheus's staleness marker (written with its exact bits; a JavaScript NaN may lose them). */
  stale?: boolean;
}

/** A sample value's 8 bytes: the double, or the staleness marker's bit pattern 0x7ff0000000000002. */
export function writeSampleValue(buf: Buffer, pos: number, v: number, stale: boolean | undefined): void {
  if (stale) {
    buf.writeUInt32LE(2, pos);
    buf.writeUInt32LE(0x7ff00000, pos + 4);
  } else buf.writeDoubleLE(v, pos);
}

/** Bytes of a protobuf varint (shared by the 1.0 and 2.0 encoders). */
export function varintLen(n: number): number {
  if (n < 0) return 10;
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export function writeVarint(buf: Buffer, pos: number, n: number): number {
  if (n < 0) return writeNegativeVarint(buf, pos, n);
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/**
 * A negative int64 (a timestamp before 1970) as protobuf writes it: its 64-bit two's complement, always 10 bytes.
 * Without this a negative number became one byte with its continuation bit set, and the receiver read the next
 * field's bytes as the rest of the varint.
 */
function writeNegativeVarint(buf: Buffer, pos: number, n: number): number {
  let u = BigInt.asUintN(64, BigInt(Math.trunc(n)));
  for (let i = 0; i < 9; i++) {
    buf[pos++] = Number(u & 127n) | 128;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}

export function encodeWriteRequest(series: readonly RwSeries[]): Buffer {
  const tsLens: number[] = [];
  const strLens: number[] = [];
  let total = 0;
  for (const s of series) {
    let len = 0;
    for (const [n, v] of s.labels) {
      const nl = Buffer.byteLength(n);
      const vl = Buffer.byteLength(v);
      strLens.push(nl, vl);
      const ll = 1 + varintLen(nl) + nl + 1 + varintLen(vl) + vl;
      len += 1 + varintLen(ll) + ll;
    }
    for (const [, t] of s.samples) {
      const sl = 9 + 1 + varintLen(t);
      len += 1 + varintLen(sl) + sl;
    }
    tsLens.push(len);
    total += 1 + varintLen(len) + len;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  let si = 0;
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, tsLens[i]!);
    for (const [n, v] of s.labels) {
      const nl = strLens[si++]!;
      const vl = strLens[si++]!;
      buf[pos++] = 0x0a;
      pos = writeVarint(buf, pos, 1 + varintLen(nl) + nl + 1 + varintLen(vl) + vl);
      buf[pos++] = 0x0a;
      pos = writeVarint(buf, pos, nl);
      pos += buf.write(n, pos, 'utf8');
      buf[pos++] = 0x12;
      pos = writeVarint(buf, pos, vl);
      pos += buf.write(v, pos, 'utf8');
    }
    for (const [v, t] of s.samples) {
      buf[pos++] = 0x12;
      pos = writeVarint(buf, pos, 9 + 1 + varintLen(t));
      buf[pos++] = 0x09;
      writeSampleValue(buf, pos, v, s.stale);
      pos += 8;
      buf[pos++] = 0x10;
      pos = writeVarint(buf, pos, t);
    }
  }
  return buf;
}

/** Decodes a WriteRequest (only the fields above; unknown fields skipped). */
export function decodeWriteRequest(buf: Buffer): RwSeries[] {
  const out: RwSeries[] = [];
  const readVarint = (b: Buffer, p: { i: number }): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const byte = b[p.i++]!;
      n += (byte & 127) * mul;
      if (byte < 128) return n;
      mul *= 128;
    }
  };
  const msgs = (b: Buffer, each: (field: number, wire: number, p: { i: number }, end: number) => void) => {
    const p = { i: 0 };
    while (p.i < b.length) {
      const key = readVarint(b, p);
      const field = key >> 3;
      const wire = key & 7;
      each(field, wire, p, b.length);
    }
  };
  const sub = (b: Buffer, p: { i: number }) => {
    const len = readVarint(b, p);
    const s = b.subarray(p.i, p.i + len);
    p.i += len;
    return s;
  };
  msgs(buf, (f, _w, p) => {
    const tsBuf = sub(buf, p);
    if (f !== 1) return;
    const s: RwSeries = { labels: [], samples: [] };
    msgs(tsBuf, (f2, _w2, p2) => {
      const m = sub(tsBuf, p2);
      if (f2 === 1) {
        let name = '';
        let value = '';
        msgs(m, (f3, _w3, p3) => {
          const str = sub(m, p3).toString('utf8');
          if (f3 === 1) name = str;
          else value = str;
        });
        s.labels.push([name, value]);
      } else if (f2 === 2) {
        let v = 0;
        let t = 0;
        msgs(m, (f3, w3, p3) => {
          if (w3 === 1) {
            v = m.readDoubleLE(p3.i);
            p3.i += 8;
          } else {
            const at = p3.i;
            t = readVarint(m, p3);
            if (t >= 2 ** 63) t = int64FromVarintBytes(m, at, p3.i);
          }
          void f3;
        });
        s.samples.push([v, t]);
      }
    });
    out.push(s);
  });
  return out;
}
