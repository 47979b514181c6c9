/**
 * A parser for PromQL series selectors, the form `match[]` takes in Prometheus's HTTP API: `name`, `name{...}` or
 * `{...}`, with matchers `label op "value"` (op one of `=`, `!=`, `=~`, `!~`), values in double or single quotes
 * (Go escapes) or backticks (raw), separated by commas (a trailing comma is allowed). Expressions beyond a selector
 * are the query engine's; here they are a parse error naming the position.
 */
import { OutriderError } from '../core/errors';
import type { LabelMatcher, MatchType } from './types';

/** Longest selector accepted (bounds parse cost). */
export const MAX_SELECTOR_LENGTH = 16_384;

const nameStart = /[a-zA-Z_:]/;
const nameChar = /[a-zA-Z0-9_:]/;
const labelStart = /[a-zA-Z_]/;
const labelChar = /[a-zA-Z0-9_]/;

const simpleEscapes: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

export function parseSelector(input: string): LabelMatcher[] {
  if (input.length > MAX_SELECTOR_LENGTH) fail(input, 0, `selector longer than ${MAX_SELECTOR_LENGTH} characters`);
  let i = 0;
  const skip = () => {
    while (i < input.length && /\s/.test(input[i]!)) i++;
  };
  const matchers: LabelMatcher[] = [];
  skip();
  let name: string | undefined;
  if (i < input.length && nameStart.test(input[i]!)) {
    const start = i;
    while (i < input.length && nameChar.test(input[i]!)) i++;
    name = input.slice(start, i);
    matchers.push({ name: '__name__', type: '=', value: name });
    skip();
  }
  if (i < input.length && input[i] === '{') {
    i++;
    skip();
    while (i < input.length && input[i] !== '}') {
      if (!labelStart.test(input[i]!)) fail(input, i, 'expected a label name');
      const start = i;
      while (i < input.length && labelChar.test(input[i]!)) i++;
      const label = input.slice(start, i);
      skip();
      const type = readOp(input, i);
      if (!type) fail(input, i, 'expected one of =, !=, =~, !~');
      i += type.length;
      skip();
      const [value, end] = readString(input, i);
      i = end;
      if (label === '__name__' && name !== undefined) fail(input, start, 'the metric name is set twice');
      matchers.push({ name: label, type, value });
      skip();
      if (input[i] === ',') {
        i++;
        skip();
      } else if (input[i] !== '}') fail(input, i, "expected ',' or '}'");
    }
    if (input[i] !== '}') fail(input, i, "unclosed '{'");
    i++;
    skip();
  } else if (name === undefined) {
    fail(input, i, 'expected a metric name or {');
  }
  if (i < input.length) fail(input, i, 'unexpected characters after the selector');
  return matchers;
}

function readOp(s: string, i: number): MatchType | undefined {
  const two = s.slice(i, i + 2);
  if (two === '!=' || two === '=~' || two === '!~') return two;
  return s[i] === '=' ? '=' : undefined;
}

function readString(s: string, i: number): [string, number] {
  const q = s[i];
  if (q !== '"' && q !== "'" && q !== '`') fail(s, i, 'expected a quoted label value');
  let out = '';
  let j = i + 1;
  while (j < s.length) {
    const c = s[j]!;
    if (c === q) return [out, j + 1];
    if (q !== '`' && c === '\n') break;
    if (c === '\\' && q !== '`') {
      const e = s[j + 1];
      if (e === undefined) break;
      if (simpleEscapes[e] !== undefined) {
        out += simpleEscapes[e];
        j += 2;
        continue;
      }
      const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      const hex = s.slice(j + 2, j + 2 + width);
      if (width === 0 || hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) fail(s, j, `invalid escape \\${e}`);
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) fail(s, j, `invalid escape \\${e}${hex}`);
      out += String.fromCodePoint(code);
      j += 2 + width;
      continue;
    }
    out += c;
    j++;
  }
  return fail(s, i, 'unterminated string');
}

function fail(input: string, pos: number, what: string): never {
  throw new OutriderError('OUTRIDER_ERR_HISTORY_SELECTOR', `invalid selector ${JSON.stringify(input.length > 200 ? input.slice(0, 200) + '…' : input)} at character ${pos + 1}: ${what}`);
}
