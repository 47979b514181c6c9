/**
 * The attribute and scope fields of OTLP protobuf messages: a Resource's attributes, an InstrumentationScope's name
 * and version, one KeyValue with its AnyValue rendered as a string (decode-proto.ts and the stream cache's receiver,
 * receive-proto.ts, both read them).
 */
import { anyValueString, OtlpDecodeError } from './model';
import { expect, ProtoReader } from './proto-reader';

/** A Resource's attributes, appended to `into`. */
export function resourceAttrs(res: ProtoReader, into: Array<[string, string]>): void {
  while (!res.done) {
    const t = res.varint();
    if (t >>> 3 === 1) {
      expect(t & 7, 2, 'resource attribute');
      into.push(keyValue(res.sub()));
    } else res.skip(t & 7);
  }
}

/** An InstrumentationScope's name and version, set on `into`. */
export function scopeIdentity(s: ProtoReader, into: { name: string; version: string }): void {
  while (!s.done) {
    const t = s.varint();
    if (t >>> 3 === 1 && (t & 7) === 2) into.name = s.string();
    else if (t >>> 3 === 2 && (t & 7) === 2) into.version = s.string();
    else s.skip(t & 7);
  }
}

/** One KeyValue (an attribute), its value as a string. */
export function keyValue(r: ProtoReader): [string, string] {
  const [key, value] = keyAnyValue(r, 0);
  return [key, anyValueString(value)];
}

/** One KeyValue, its AnyValue as a JS value read at nesting `depth` ('' when absent). */
function keyAnyValue(r: ProtoReader, depth: number): [string, unknown] {
  let key = '';
  let value: unknown = '';
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1 && (tag & 7) === 2) key = r.string();
    else if (f === 2 && (tag & 7) === 2) value = anyValue(r.sub(), depth);
    else r.skip(tag & 7);
  }
  return [key, value];
}

/** An AnyValue as a JS value (strings, numbers, booleans, arrays, objects); nesting is bounded. */
function anyValue(r: ProtoReader, depth: number): unknown {
  if (depth > 16) throw new OtlpDecodeError('attribute value nested more than 16 levels');
  let v: unknown = '';
  while (!r.done) {
    const tag = r.varint();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expect(wt, 2, 'string_value');
        v = r.string();
        break;
      case 2:
        expect(wt, 0, 'bool_value');
        v = r.varint() !== 0;
        break;
      case 3:
        expect(wt, 0, 'int_value');
        v = r.int64();
        break;
      case 4:
        expect(wt, 1, 'double_value');
        v = r.double();
        break;
      case 5: {
        expect(wt, 2, 'array_value');
        const a = r.sub();
        const arr: unknown[] = [];
        while (!a.done) {
          const t = a.varint();
          if (t >>> 3 === 1 && (t & 7) === 2) arr.push(anyValue(a.sub(), depth + 1));
          else a.skip(t & 7);
        }
        v = arr;
        break;
      }
      case 6: {
        expect(wt, 2, 'kvlist_value');
        const a = r.sub();
        const obj: Record<string, unknown> = {};
        while (!a.done) {
          const t = a.varint();
          if (t >>> 3 === 1 && (t & 7) === 2) {
            const [k, val] = keyAnyValue(a.sub(), depth + 1);
            obj[k] = val;
          } else a.skip(t & 7);
        }
        v = obj;
        break;
      }
      case 7: {
        expect(wt, 2, 'bytes_value');
        const [s, e] = r.span();
        v = r.buf.toString('base64', s, e);
        break;
      }
      default:
        r.skip(wt);
    }
  }
  return v;
}
