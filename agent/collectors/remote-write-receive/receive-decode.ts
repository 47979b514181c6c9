/**
 * The receiver's decoders of remote write 1.0 and 2.0 bodies (after snappy): what `decode.ts` decodes, in the shape
 * the store write needs and without its allocations. Each series comes out as its label set (found in a LabelCache by
 * its label bytes, parsed only when new), its latest sample (value, timestamp, staleness marker), how many samples it
 * had, and its family type and help where the body says them; native histograms and exemplars are counted. Fields
 * are read straight from the bytes: no object per label or sample. The bytes it accepts and refuses, and what it
 * makes of them, are `decode.ts`'s (a property test holds the two together); a malformed body throws
 * RemoteWriteDecodeError before anything is returned.
 */
import type { MetricType } from '../../store/types';
import { metricType, RemoteWriteDecodeError, want } from './decode';
import { HASH_SEED, hashRange, sameRange } from '../../formats/byte-hash';
import { int64FromVarintBytes } from '../../formats/int64-varint';
import { LabelCache, labelsOf, MAX_KEY, NO_LABELS, SeriesLabels } from './label-cache';

/** One request's series that carried samples (parallel arrays), and the totals of what is not kept. */
export interface Received {
  series: SeriesLabels[];
  values: number[];
  times: number[];
  /** 1 when the latest sample is Prometheus's staleness marker. */
  stale: number[];
  samples: number[];
  types: Array<MetricType | undefined>;
  helps: Array<string | undefined>;
  histograms: number;
  exemplars: number;
}

class Wire {
  pos = 0;
  readonly dv: DataView;
  constructor(readonly buf: Buffer) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
  /** An int64 varint: values of 2^63 and more are negatives (two's complement over 10 bytes), read exactly. */
  int64(end: number): number {
    const at = this.pos;
    const n = this.varint(end);
    return n >= 2 ** 63 ? int64FromVarintBytes(this.buf, at, this.pos) : n;
  }

  varint(end: number): number {
    const buf = this.buf;
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new RemoteWriteDecodeError('truncated varint');
      const b = buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
    }
    throw new RemoteWriteDecodeError('varint longer than 10 bytes');
  }
  /** Reads a length prefix: returns where the field ends (pos is at its start). */
  sub(end: number): number {
    const len = this.varint(end);
    if (len > end - this.pos) throw new RemoteWriteDecodeError('length-delimited field runs past its message');
    return this.pos + len;
  }
  string(end: number): string {
    const e = this.sub(end);
    const s = this.buf.toString('utf8', this.pos, e);
    this.pos = e;
    return s;
  }
  skip(wt: number, end: number): void {
    if (wt === 0) this.varint(end);
    else if (wt === 2) this.pos = this.sub(end);
    else if (wt === 1 || wt === 5) {
      const n = wt === 1 ? 8 : 4;
      if (this.pos + n > end) throw new RemoteWriteDecodeError('truncated field');
      this.pos += n;
    } else throw new RemoteWriteDecodeError(`unsupported wire type ${wt}`);
  }
}

function received(): Received {
  return { series: [], values: [], times: [], stale: [], samples: [], types: [], helps: [], histograms: 0, exemplars: 0 };
}

// The latest sample of the series being read (module state: decoding is synchronous).
let sampleCount = 0;
let lastValue = 0;
let lastTime = 0;
let lastStale = 0;

/** Reads one Sample { double value = 1; int64 timestamp = 2; } ending at `end`; keeps it when it is the latest. */
function sample(w: Wire, end: number): void {
  const buf = w.buf;
  let v = 0;
  let ts = 0;
  let stale = 0;
  while (w.pos < end) {
    const tag = w.varint(end);
    if (tag >>> 3 === 1) {
      want(tag & 7, 1, 'sample value');
      const p = w.pos;
      if (p + 8 > end) throw new RemoteWriteDecodeError('truncated double');
      // The NaN Prometheus writes as a staleness marker (V8 does not keep NaN payloads, so its bits are compared).
      stale = buf[p] === 2 && buf[p + 1] === 0 && buf[p + 2] === 0 && buf[p + 3] === 0 && buf[p + 4] === 0 && buf[p + 5] === 0 && buf[p + 6] === 0xf0 && buf[p + 7] === 0x7f ? 1 : 0;
      v = w.dv.getFloat64(p, true);
      w.pos = p + 8;
    } else if (tag >>> 3 === 2) {
      want(tag & 7, 0, 'sample timestamp');
      ts = w.int64(end);
    } else w.skip(tag & 7, end);
  }
  if (sampleCount === 0 || ts >= lastTime) {
    lastValue = v;
    lastTime = ts;
    lastStale = stale;
  }
  sampleCount++;
}

function push(out: Received, labels: SeriesLabels, type: MetricType | undefined, help: string | undefined): void {
  out.series.push(labels);
  out.values.push(lastValue);
  out.times.push(lastTime);
  out.stale.push(lastStale);
  out.samples.push(sampleCount);
  out.types.push(type);
  out.helps.push(help);
}

const spans: number[] = [];
const pairs: string[] = [];

/** The 1.0 labels of `spans` (start, end of each Label message), as received; keyed by `slab[at, at+len)`. */
function labelsV1(w: Wire, slab: DataView, at: number, len: number, hash: number): SeriesLabels {
  pairs.length = 0;
  const saved = w.pos;
  for (let i = 0; i < spans.length; i += 2) {
    const end = spans[i + 1]!;
    w.pos = spans[i]!;
    let name = '';
    let value = '';
    while (w.pos < end) {
      const lt = w.varint(end);
      if (lt >>> 3 === 1 && (lt & 7) === 2) name = w.string(end);
      else if (lt >>> 3 === 2 && (lt & 7) === 2) value = w.string(end);
      else w.skip(lt & 7, end);
    }
    pairs.push(name, value);
  }
  w.pos = saved;
  return labelsOf(pairs, slab, at, len, hash);
}

/** Decodes a 1.0 WriteRequest. */
export function receiveV1(buf: Buffer, cache: LabelCache): Received {
  const w = new Wire(buf);
  const out = received();
  const meta = new Map<string, { type: MetricType; help: string }>();
  const end = buf.length;
  while (w.pos < end) {
    const tag = w.varint(end);
    const f = tag >>> 3;
    if (f === 1) {
      want(tag & 7, 2, 'timeseries');
      const tsEnd = w.sub(end);
      spans.length = 0;
      sampleCount = 0;
      let lStart = -1;
      let lEnd = -1;
      let contiguous = true;
      while (w.pos < tsEnd) {
        const at = w.pos;
        const t = w.varint(tsEnd);
        const tf = t >>> 3;
        if (tf === 1) {
          want(t & 7, 2, 'label');
          const e = w.sub(tsEnd);
          if (lStart < 0) lStart = at;
          else if (at !== lEnd) contiguous = false;
          spans.push(w.pos, e);
          w.pos = lEnd = e;
        } else if (tf === 2) {
          want(t & 7, 2, 'sample');
          const e = w.sub(tsEnd);
          sample(w, e);
        } else if (tf === 3) {
          w.skip(t & 7, tsEnd);
          out.exemplars++;
        } else if (tf === 4) {
          w.skip(t & 7, tsEnd);
          out.histograms++;
        } else w.skip(t & 7, tsEnd);
      }
      let labels = NO_LABELS;
      const len = lEnd - lStart;
      if (spans.length > 0 && (!contiguous || len > MAX_KEY)) labels = labelsV1(w, NO_LABELS.slab, 0, 0, 0);
      else if (spans.length > 0) {
        const h = hashRange(HASH_SEED, w.dv, lStart, lEnd);
        let e = cache.bucket(h);
        while (e !== undefined && !(e.len === len && sameRange(e.slab, e.at, w.dv, lStart, lEnd))) e = e.next;
        if (e === undefined) {
          const at = cache.reserve(len);
          cache.bytes.set(buf.subarray(lStart, lEnd), at);
          e = cache.add(labelsV1(w, cache.slab, at, len, h));
        }
        labels = e;
      }
      if (sampleCount > 0) push(out, labels, undefined, undefined);
    } else if (f === 3) {
      want(tag & 7, 2, 'metadata');
      const mEnd = w.sub(end);
      let type = 0;
      let name = '';
      let help = '';
      while (w.pos < mEnd) {
        const t = w.varint(mEnd);
        if (t >>> 3 === 1 && (t & 7) === 0) type = w.varint(mEnd);
        else if (t >>> 3 === 2 && (t & 7) === 2) name = w.string(mEnd);
        else if (t >>> 3 === 4 && (t & 7) === 2) help = w.string(mEnd);
        else w.skip(t & 7, mEnd);
      }
      if (name !== '') meta.set(name, { type: metricType(type), help });
    } else w.skip(tag & 7, end);
  }
  if (meta.size > 0) {
    for (let i = 0; i < out.series.length; i++) {
      const name = out.series[i]!.metaName;
      const m = name === undefined ? undefined : meta.get(name);
      if (m) {
        out.types[i] = m.type;
        out.helps[i] = m.help;
      }
    }
  }
  return out;
}

const refs: number[] = [];
let symStart: number[] = [];
let symEnd: number[] = [];
let symText: Array<string | undefined> = [];

function sym(buf: Buffer, i: number): string {
  if (!(i < symStart.length)) throw new RemoteWriteDecodeError(`symbol reference ${i} is out of range (${symStart.length} symbols)`);
  return (symText[i] ??= buf.toString('utf8', symStart[i], symEnd[i]));
}

/** Whether set `e`'s key is the symbols `refs` names, each as its length (varint) then its bytes. */
function sameSymbols(e: SeriesLabels, dv: DataView): boolean {
  const slab = e.slab;
  const end = e.at + e.len;
  let o = e.at;
  for (let k = 0; k < refs.length; k++) {
    const s = symStart[refs[k]!]!;
    const n = symEnd[refs[k]!]! - s;
    let v = n;
    for (; v >= 0x80; v >>>= 7) if (o >= end || slab.getUint8(o++) !== ((v & 0x7f) | 0x80)) return false;
    if (o >= end || slab.getUint8(o++) !== v) return false;
    if (o + n > end || !sameRange(slab, o, dv, s, s + n)) return false;
    o += n;
  }
  return o === end;
}

/** The size of the 2.0 key of `refs`: each symbol as its length (varint) then its bytes. */
function keySizeV2(): number {
  let size = 0;
  for (let k = 0; k < refs.length; k++) {
    const n = symEnd[refs[k]!]! - symStart[refs[k]!]!;
    size += n + (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
  }
  return size;
}

/** The 2.0 labels `refs` names, their key written to the cache (unless `size` is 0: not kept). */
function labelsV2(buf: Buffer, cache: LabelCache, size: number, hash: number): SeriesLabels {
  const at = size === 0 ? 0 : cache.reserve(size);
  const key = cache.bytes;
  let o = at;
  pairs.length = 0;
  for (let k = 0; k < refs.length; k++) {
    pairs.push(sym(buf, refs[k]!));
    if (size === 0) continue;
    const s = symStart[refs[k]!]!;
    const e = symEnd[refs[k]!]!;
    let v = e - s;
    for (; v >= 0x80; v >>>= 7) key[o++] = (v & 0x7f) | 0x80;
    key[o++] = v;
    key.set(buf.subarray(s, e), o);
    o += e - s;
  }
  return size === 0 ? labelsOf(pairs, NO_LABELS.slab, 0, 0, 0) : cache.add(labelsOf(pairs, cache.slab, at, size, hash));
}

/** Decodes a 2.0 Request (symbols may come before or after the series that reference them). */
export function receiveV2(buf: Buffer, cache: LabelCache): Received {
  try {
    return decodeV2(buf, cache);
  } finally {
    symStart = [];
    symEnd = [];
    symText = [];
  }
}

function decodeV2(buf: Buffer, cache: LabelCache): Received {
  const w = new Wire(buf);
  const out = received();
  const end = buf.length;
  const series: number[] = [];
  while (w.pos < end) {
    const tag = w.varint(end);
    const f = tag >>> 3;
    if (f === 4) {
      want(tag & 7, 2, 'symbol');
      const e = w.sub(end);
      symStart.push(w.pos);
      symEnd.push(e);
      w.pos = e;
    } else if (f === 5) {
      want(tag & 7, 2, 'timeseries');
      const e = w.sub(end);
      series.push(w.pos, e);
      w.pos = e;
    } else w.skip(tag & 7, end);
  }
  const nsym = symStart.length;
  for (let si = 0; si < series.length; si += 2) {
    w.pos = series[si]!;
    const tsEnd = series[si + 1]!;
    refs.length = 0;
    sampleCount = 0;
    let typeNum = 0;
    let helpRef = 0;
    while (w.pos < tsEnd) {
      const t = w.varint(tsEnd);
      const tf = t >>> 3;
      if (tf === 1) {
        if ((t & 7) === 2) {
          const e = w.sub(tsEnd);
          while (w.pos < e) refs.push(w.varint(e));
        } else {
          want(t & 7, 0, 'labels_refs');
          refs.push(w.varint(tsEnd));
        }
      } else if (tf === 2) {
        want(t & 7, 2, 'sample');
        const e = w.sub(tsEnd);
        sample(w, e);
      } else if (tf === 3) {
        w.skip(t & 7, tsEnd);
        out.histograms++;
      } else if (tf === 4) {
        w.skip(t & 7, tsEnd);
        out.exemplars++;
      } else if (tf === 5) {
        want(t & 7, 2, 'metadata');
        const mEnd = w.sub(tsEnd);
        while (w.pos < mEnd) {
          const mt = w.varint(mEnd);
          if (mt >>> 3 === 1 && (mt & 7) === 0) typeNum = w.varint(mEnd);
          else if (mt >>> 3 === 3 && (mt & 7) === 0) helpRef = w.varint(mEnd);
          else w.skip(mt & 7, mEnd);
        }
      } else w.skip(t & 7, tsEnd);
    }
    if (refs.length % 2 !== 0) throw new RemoteWriteDecodeError('labels_refs has an odd number of entries');
    let h = HASH_SEED;
    for (let k = 0; k < refs.length; k++) {
      const r = refs[k]!;
      if (!(r < nsym)) throw new RemoteWriteDecodeError(`symbol reference ${r} is out of range (${nsym} symbols)`);
      h = hashRange(Math.imul(h ^ (symEnd[r]! - symStart[r]!), 0x01000193), w.dv, symStart[r]!, symEnd[r]!);
    }
    let labels = NO_LABELS;
    if (refs.length > 0) {
      let e = cache.bucket(h);
      while (e !== undefined && !sameSymbols(e, w.dv)) e = e.next;
      if (e === undefined) {
        const size = keySizeV2();
        e = labelsV2(buf, cache, size > MAX_KEY ? 0 : size, h);
      }
      labels = e;
    }
    const help = helpRef !== 0 ? sym(buf, helpRef) : undefined;
    if (sampleCount > 0) push(out, labels, typeNum !== 0 ? metricType(typeNum) : undefined, help);
  }
  return out;
}
