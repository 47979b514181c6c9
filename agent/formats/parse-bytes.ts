/**
 * The byte reading of a text 0.0.4 sample line (parse.ts reads a body from its bytes when its caller can find a
 * series by the bytes of its text): where the series text ends, and the value and timestamp, read without making a
 * string of the line. Only the plain case is read here (the line starts with a name, is ASCII, and its value and
 * timestamp are well-formed); anything else is left to the text reading, which gives the same result or the error.
 */
import { isBlank, isNameChar, isNameStart, readDecimalBytes } from './text-chars';
import { parseValue } from './value';

export interface ByteSample {
  /** End of the metric name. */
  nameEnd: number;
  /** End of the series text (the name and its labels, `}` included). */
  seriesEnd: number;
  value: number;
  timestampMs: number | undefined;
}

/** A timestamp `-?\d{1,19}` as `Number` reads it, or undefined. */
function readTimestamp(buf: Buffer, dv: DataView, i: number, e: number): number | undefined {
  let k = i;
  if (dv.getUint8(k) === 45) k++;
  const digits = e - k;
  if (digits < 1 || digits > 19) return undefined;
  let m = 0;
  for (let j = k; j < e; j++) {
    const c = dv.getUint8(j);
    if (c < 48 || c > 57) return undefined;
    m = m * 10 + (c - 48);
  }
  // Up to 15 digits the sum is exact; longer ones are rounded once, as Number rounds the text.
  if (digits > 15) return Number(buf.toString('latin1', i, e));
  return k > i ? -m : m;
}

/**
 * Reads the sample line `buf[s, e)` (no newline) into `out`; false when it is not a plain sample line (a comment, a
 * blank or non-ASCII line, a bad value...): the caller then reads it as text.
 */
export function readSampleBytes(buf: Buffer, dv: DataView, s: number, e: number, out: ByteSample): boolean {
  while (e > s) {
    const c = dv.getUint8(e - 1);
    if (!isBlank(c) && c !== 13) break;
    e--;
  }
  if (e === s || !isNameStart(dv.getUint8(s))) return false;
  let i = s + 1;
  while (i < e && isNameChar(dv.getUint8(i))) i++;
  out.nameEnd = i;
  if (i < e && dv.getUint8(i) === 123) {
    // '{': the labels, quotes and escapes followed, up to the closing '}'.
    let quoted = false;
    for (i++; ; i++) {
      if (i >= e) return false;
      const c = dv.getUint8(i);
      if (c >= 128) return false;
      if (quoted) {
        if (c === 92 && ++i < e && dv.getUint8(i) >= 128) return false;
        else if (c === 34) quoted = false;
      } else if (c === 34) quoted = true;
      else if (c === 125) break;
    }
    i++;
  }
  out.seriesEnd = i;
  if (i >= e || !isBlank(dv.getUint8(i))) return false;
  while (isBlank(dv.getUint8(i))) i++;
  let v = i;
  while (v < e && !isBlank(dv.getUint8(v))) v++;
  let value = readDecimalBytes(dv, i, v);
  if (value === undefined) {
    for (let k = i; k < v; k++) if (dv.getUint8(k) >= 128) return false;
    value = parseValue(buf.toString('latin1', i, v));
    if (value === undefined) return false;
  }
  out.value = value;
  out.timestampMs = undefined;
  if (v === e) return true;
  while (isBlank(dv.getUint8(v))) v++;
  let t = v;
  while (t < e && !isBlank(dv.getUint8(t))) t++;
  if (t < e) return false;
  const ts = readTimestamp(buf, dv, v, t);
  if (ts === undefined) return false;
  out.timestampMs = ts;
  return true;
}

/** Reads one line `buf[s, e)` (`view` is a view of `buf`). */
export type ByteLine = (buf: Buffer, view: DataView, s: number, e: number) => void;

/**
 * Cuts chunks of bytes into lines at each newline, carrying the incomplete last line to the next chunk. The caller
 * bounds the carry (`carried`); while a line completes it may hold that bound plus one chunk.
 */
export class ByteLines {
  #carry = Buffer.alloc(0);
  #carried = 0;

  /** Bytes of the incomplete last line. */
  get carried(): number {
    return this.#carried;
  }

  /** Calls `line` for each complete line of the carry and `chunk` (without its newline) and carries the rest. */
  write(chunk: Buffer, line: ByteLine): void {
    let start = 0;
    if (this.#carried > 0) {
      const nl = chunk.indexOf(10);
      this.#append(chunk, 0, nl < 0 ? chunk.length : nl);
      if (nl < 0) return;
      const whole = this.take();
      line(whole, new DataView(whole.buffer, whole.byteOffset, whole.length), 0, whole.length);
      start = nl + 1;
    }
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    // A byte loop: a native indexOf per line of a few dozen bytes costs more than the line's own reading.
    const n = chunk.length;
    for (let i = start; i < n; i++) {
      if (chunk[i] !== 10) continue;
      line(chunk, dv, start, i);
      start = i + 1;
    }
    if (start < n) this.#append(chunk, start, n);
  }

  /** The carried bytes, no longer carried (a view valid until the next write). */
  take(): Buffer {
    const n = this.#carried;
    this.#carried = 0;
    return this.#carry.subarray(0, n);
  }

  /** Appends `chunk[from, to)` to the carry, grown by doubling. */
  #append(chunk: Buffer, from: number, to: number): void {
    const need = this.#carried + to - from;
    if (need > this.#carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.#carry.length * 2, 256));
      this.#carry.copy(grown, 0, 0, this.#carried);
      this.#carry = grown;
    }
    chunk.copy(this.#carry, this.#carried, from, to);
    this.#carried = need;
  }
}
