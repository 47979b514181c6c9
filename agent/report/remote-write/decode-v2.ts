/**
 * A small, strict decoder of remote write 2.0 `io.prometheus.write.v2.Request` bodies: used when a spooled 2.0 request
 * must go to a receiver that turned out to speak only 1.0 (re-encoded from what it decodes), and by the tests:
 * symbols (4), timeseries (5) with labels_refs (1, packed or not), samples (2) and metadata (5: type 1, help_ref 3).
 * Unknown fields are skipped; references outside the table and truncation throw.
 */
import { int64FromVarintBytes } from '../../formats/int64-varint';

export interface RwV2Series {
  labels: Array<readonly [string, string]>;
  samples: Array<readonly [number, number]>;
  type: number;
  help: string;
}

interface Cursor {
  i: number;
}

function readVarint(b: Buffer, p: Cursor): number {
  let n = 0;
  let mul = 1;
  for (;;) {
    if (p.i >= b.length) throw new RangeError('truncated varint');
    const byte = b[p.i++]!;
    n += (byte & 127) * mul;
    if (byte < 128) return n;
    mul *= 128;
  }
}

function skip(b: Buffer, p: Cursor, wire: number): void {
  if (wire === 0) readVarint(b, p);
  else if (wire === 1) p.i += 8;
  else if (wire === 2) p.i += readVarint(b, p);
  else if (wire === 5) p.i += 4;
  else throw new RangeError(`unsupported wire type ${wire}`);
}

function fields(b: Buffer, each: (field: number, wire: number, p: Cursor) => void): void {
  const p = { i: 0 };
  while (p.i < b.length) {
    const key = readVarint(b, p);
    each(key >>> 3, key & 7, p);
  }
  if (p.i !== b.length) throw new RangeError('truncated message');
}

function bytes(b: Buffer, p: Cursor): Buffer {
  const len = readVarint(b, p);
  if (p.i + len > b.length) throw new RangeError('truncated field');
  const s = b.subarray(p.i, p.i + len);
  p.i += len;
  return s;
}

/** Decodes a 2.0 Request: the symbol table and each series with its labels resolved. */
export function decodeRequestV2(buf: Buffer): { symbols: string[]; series: RwV2Series[]; refs: number[][] } {
  const symbols: string[] = [];
  const raw: Buffer[] = [];
  fields(buf, (f, w, p) => {
    if (f === 4 && w === 2) symbols.push(bytes(buf, p).toString('utf8'));
    else if (f === 5 && w === 2) raw.push(bytes(buf, p));
    else skip(buf, p, w);
  });
  const series: RwV2Series[] = [];
  const allRefs: number[][] = [];
  const sym = (i: number): string => {
    if (i >= symbols.length) throw new RangeError(`symbol reference ${i} outside the table of ${symbols.length}`);
    return symbols[i]!;
  };
  for (const ts of raw) {
    const refs: number[] = [];
    const s: RwV2Series = { labels: [], samples: [], type: 0, help: '' };
    fields(ts, (f, w, p) => {
      if (f === 1 && w === 2) {
        const packed = bytes(ts, p);
        const q = { i: 0 };
        while (q.i < packed.length) refs.push(readVarint(packed, q));
      } else if (f === 1 && w === 0) refs.push(readVarint(ts, p));
      else if (f === 2 && w === 2) {
        const m = bytes(ts, p);
        let v = 0;
        let t = 0;
        fields(m, (f2, w2, p2) => {
          if (f2 === 1 && w2 === 1) {
            v = m.readDoubleLE(p2.i);
            p2.i += 8;
          } else if (f2 === 2 && w2 === 0) {
            const at = p2.i;
            t = readVarint(m, p2);
            if (t >= 2 ** 63) t = int64FromVarintBytes(m, at, p2.i);
          } else skip(m, p2, w2);
        });
        s.samples.push([v, t]);
      } else if (f === 5 && w === 2) {
        const m = bytes(ts, p);
        fields(m, (f2, w2, p2) => {
          if (f2 === 1 && w2 === 0) s.type = readVarint(m, p2);
          else if (f2 === 3 && w2 === 0) s.help = sym(readVarint(m, p2));
          else skip(m, p2, w2);
        });
      } else skip(ts, p, w);
    });
    if (refs.length % 2 !== 0) throw new RangeError('odd number of label references');
    for (let i = 0; i < refs.length; i += 2) s.labels.push([sym(refs[i]!), sym(refs[i + 1]!)]);
    series.push(s);
    allRefs.push(refs);
  }
  return { symbols, series, refs: allRefs };
}

/** A 2.0 body as 1.0 series (labels and samples; 1.0 has no metadata). */
export function seriesFromV2(buf: Buffer): Array<{ labels: Array<readonly [string, string]>; samples: Array<readonly [number, number]> }> {
  return decodeRequestV2(buf).series.map((s) => ({ labels: s.labels, samples: s.samples }));
}
