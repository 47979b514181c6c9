/**
 * A bounded walk over a msgpack document's headers, done before the decoder builds anything. The decoder allocates
 * what the headers declare (an array32 header declares up to 4 billion elements in five bytes; a few kilobytes of
 * deflate inflate to tens of millions of them), so the limits are checked here, header by header, and the walk
 * stops at the first one past a limit: its cost is bounded by the limits, never by what the document claims.
 *
 * Counted: values (every scalar, string, array and map entry key and value), string and binary bytes, nesting
 * depth. Extension types are refused (the payload never carries any). A container may not declare more children
 * than bytes remain (each takes at least one), and the document must be one value that ends exactly at the end.
 */

export interface DecodeLimits {
  /** Most values in one document (0: no limit). */
  maxElements: number;
  /** Most string and binary bytes in one document (0: no limit). */
  maxStringBytes: number;
  /** Deepest nesting of arrays and maps (0: no limit). */
  maxDepth: number;
}

/** What a walk found wrong: `limit` when the document is well formed as far as read but past a limit. */
export interface ScanProblem {
  limit: boolean;
  message: string;
}

const bad = (message: string): ScanProblem => ({ limit: false, message });
const over = (message: string): ScanProblem => ({ limit: true, message });

/** Walks `b` against `limits`; undefined when the document is within them. */
export function scanMsgpack(b: Uint8Array, limits: DecodeLimits): ScanProblem | undefined {
  const maxEl = limits.maxElements > 0 ? limits.maxElements : Infinity;
  const maxStr = limits.maxStringBytes > 0 ? limits.maxStringBytes : Infinity;
  const maxDepth = limits.maxDepth > 0 ? limits.maxDepth : Infinity;
  const n = b.length;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Children still to read at each open level; the bottom entry is the one top-level value.
  const stack: number[] = [1];
  let pos = 0;
  let elements = 0;
  let strBytes = 0;
  while (stack.length > 0) {
    const top = stack.length - 1;
    if (stack[top] === 0) {
      stack.pop();
      continue;
    }
    stack[top]!--;
    if (pos >= n) return bad('document ends early');
    if (++elements > maxEl) return over(`more than ${maxEl} values`);
    const t = b[pos++]!;
    let str = -1;
    let children = -1;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) continue;
    if (t >= 0xa0 && t <= 0xbf) str = t & 0x1f;
    else if (t >= 0x90 && t <= 0x9f) children = t & 0x0f;
    else if (t >= 0x80 && t <= 0x8f) children = (t & 0x0f) * 2;
    else {
      const need = (k: number) => pos + k <= n;
      switch (t) {
        case 0xcc:
        case 0xd0:
          pos += 1;
          break;
        case 0xcd:
        case 0xd1:
          pos += 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          pos += 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          pos += 8;
          break;
        case 0xd9:
        case 0xc4:
          if (!need(1)) return bad('document ends early');
          str = b[pos]!;
          pos += 1;
          break;
        case 0xda:
        case 0xc5:
          if (!need(2)) return bad('document ends early');
          str = dv.getUint16(pos);
          pos += 2;
          break;
        case 0xdb:
        case 0xc6:
          if (!need(4)) return bad('document ends early');
          str = dv.getUint32(pos);
          pos += 4;
          break;
        case 0xdc:
          if (!need(2)) return bad('document ends early');
          children = dv.getUint16(pos);
          pos += 2;
          break;
        case 0xdd:
          if (!need(4)) return bad('document ends early');
          children = dv.getUint32(pos);
          pos += 4;
          break;
        case 0xde:
          if (!need(2)) return bad('document ends early');
          children = dv.getUint16(pos) * 2;
          pos += 2;
          break;
        case 0xdf:
          if (!need(4)) return bad('document ends early');
          children = dv.getUint32(pos) * 2;
          pos += 4;
          break;
        default:
          return bad(t === 0xc1 ? 'byte 0xc1 is never used in msgpack' : `msgpack type 0x${t.toString(16)} (an extension) is not accepted`);
      }
      if (pos > n) return bad('document ends early');
    }
    if (str >= 0) {
      if ((strBytes += str) > maxStr) return over(`more than ${maxStr} string bytes`);
      if (pos + str > n) return bad('document ends early');
      pos += str;
    } else if (children >= 0) {
      if (children > n - pos) return bad(`a container declares ${children} values with ${n - pos} bytes left`);
      if (elements + children > maxEl) return over(`more than ${maxEl} values`);
      if (stack.length > maxDepth) return over(`nested deeper than ${maxDepth}`);
      if (children > 0) stack.push(children);
    }
  }
  if (pos !== n) return bad(`${n - pos} bytes after the document`);
  return undefined;
}
