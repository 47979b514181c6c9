/** PromQL literals: durations, numbers and strings, decoded as Prometheus's parser decodes them. */

const unitMs: Readonly<Record<string, number>> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const durationRe = /^(?:\d+(?:ms|[ywdhms]))+$/;
const partRe = /(\d+)(ms|[ywdhms])/g;
const order = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/** A duration like `1h30m` in ms, or a plain number of seconds; undefined when it is neither. */
export function parseDurationMs(text: string): number | undefined {
  if (durationRe.test(text)) {
    let total = 0;
    let last = -1;
    for (const [, n, unit] of text.matchAll(partRe)) {
      const idx = order.indexOf(unit!);
      if (idx <= last) return undefined; // units must go from largest to smallest, each once
      last = idx;
      total += Number(n) * unitMs[unit!]!;
    }
    return total;
  }
  const n = parseNumber(text);
  return n === undefined || !Number.isFinite(n) ? undefined : Math.round(n * 1000);
}

/** A number as Go's ParseFloat reads it (decimal, hex, Inf, NaN), or a duration in seconds. */
export function parseNumber(text: string): number | undefined {
  let t = text.trim();
  let sign = 1;
  if (t.startsWith('-') || t.startsWith('+')) {
    if (t[0] === '-') sign = -1;
    t = t.slice(1);
  }
  const lower = t.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  if (/^0x[0-9a-f]+$/i.test(t)) return sign * parseInt(t.slice(2), 16);
  if (/^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(t)) return sign * Number(t);
  if (durationRe.test(t)) return (sign * parseDurationMs(t)!) / 1000;
  return undefined;
}

const simpleEscapes: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** A quoted PromQL string (double or single quotes with Go escapes, or backquotes, raw). */
export function parseString(text: string): string {
  const q = text[0];
  if (text.length < 2 || text[text.length - 1] !== q) throw new Error(`unterminated string ${text}`);
  const body = text.slice(1, -1);
  if (q === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new Error('string ends in a backslash');
    if (simpleEscapes[e] !== undefined) {
      out += simpleEscapes[e];
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new Error(`invalid escape \\${e}${hex}`);
      out += e === 'x' ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
      i += len;
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw new Error(`invalid octal escape \\${oct}`);
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else {
      throw new Error(`unknown escape \\${e}`);
    }
  }
  return out;
}

/** A float as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it (count_values' label), no exponent. */
export function formatFloatPlain(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (!s.includes('e')) return s;
  const [mant, expText] = s.split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const pointAt = (mant.replace('-', '').indexOf('.') === -1 ? mant.replace('-', '').length : mant.replace('-', '').indexOf('.')) + exp;
  let out: string;
  if (pointAt <= 0) out = '0.' + '0'.repeat(-pointAt) + digits;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = digits.slice(0, pointAt) + '.' + digits.slice(pointAt);
  return (neg ? '-' : '') + out;
}
