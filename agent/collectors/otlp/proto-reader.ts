/**
 * A bounds-checked reader of the protobuf wire format (varint, 64-bit, length-delimited, 32-bit fields). Every read
 * past the end of its message, an unknown wire type or a varint longer than 10 bytes throws OtlpDecodeError, so a
 * truncated or hostile body is a 400, never a crash or a read of unrelated memory.
 */
import { int64FromVarintBytes } from '../../formats/int64-varint';
import { OtlpDecodeError } from './model';

const kTwo32 = 4294967296;

/** Throws unless a field's wire type is the one its schema gives it. */
export function expect(wt: number, want: number, what: string): void {
  if (wt !== want) throw new OtlpDecodeError(`${what} has wire type ${wt}, expected ${want}`);
}

export class ProtoReader {
  readonly buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** The same reader moved to `buf[pos, end)` (a reader reused for many small messages: no object per message). */
  at(pos: number, end: number): this {
    this.pos = pos;
    this.end = end;
    return this;
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

  /** A varint as a JS number (exact to 2^53; larger values lose low bits, which no OTLP field here needs). */
  varint(): number {
    const b = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const byte = b[this.pos++]!;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) return result;
      mul *= 128;
    }
    throw new OtlpDecodeError('varint longer than 10 bytes');
  }

  /** A varint read as a signed 32-bit value (int32 fields: negative values are sign-extended to 10 bytes). */
  int32(): number {
    return this.varint() | 0;
  }

  sint32(): number {
    const n = this.varint() >>> 0;
    return (n >>> 1) ^ -(n & 1);
  }

  #need(n: number): void {
    if (this.pos + n > this.end) throw new OtlpDecodeError('truncated field');
  }

  fixed64(): number {
    this.#need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return hi * kTwo32 + lo;
  }

  sfixed64(): number {
    this.#need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readInt32LE(this.pos + 4);
    this.pos += 8;
    return hi * kTwo32 + lo;
  }

  double(): number {
    this.#need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** The bounds of a length-delimited field; the reader moves past it. */
  span(): [number, number] {
    const len = this.varint();
    if (len > this.end - this.pos) throw new OtlpDecodeError('length-delimited field runs past its message');
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  /** Moves past a length-delimited field (to its end); returns where its bytes start. `span` without a tuple. */
  skipSpan(): number {
    const len = this.varint();
    if (len > this.end - this.pos) throw new OtlpDecodeError('length-delimited field runs past its message');
    const start = this.pos;
    this.pos += len;
    return start;
  }

  sub(): ProtoReader {
    const [s, e] = this.span();
    return new ProtoReader(this.buf, s, e);
  }

  string(): string {
    const [s, e] = this.span();
    return this.buf.toString('utf8', s, e);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.#need(8);
        this.pos += 8;
        return;
      case 2:
        this.span();
        return;
      case 5:
        this.#need(4);
        this.pos += 4;
        return;
      default:
        throw new OtlpDecodeError(`unsupported wire type ${wireType}`);
    }
  }

  /** Repeated fixed64 or double values, packed (wire type 2) or one per tag. */
  repeated64(wireType: number, out: number[], read: (r: ProtoReader) => number): void {
    if (wireType === 2) {
      const r = this.sub();
      if ((r.end - r.pos) % 8 !== 0) throw new OtlpDecodeError('packed 64-bit field length is not a multiple of 8');
      while (!r.done) out.push(read(r));
    } else if (wireType === 1) {
      out.push(read(this));
    } else {
      throw new OtlpDecodeError(`wire type ${wireType} where a 64-bit field was expected`);
    }
  }

  /** Repeated varints, packed or one per tag. */
  repeatedVarint(wireType: number, out: number[]): void {
    if (wireType === 2) {
      const r = this.sub();
      while (!r.done) out.push(r.varint());
    } else if (wireType === 0) {
      out.push(this.varint());
    } else {
      throw new OtlpDecodeError(`wire type ${wireType} where a varint was expected`);
    }
  }
}

export const readFixed64 = (r: ProtoReader): number => r.fixed64();
export const readDouble = (r: ProtoReader): number => r.double();
