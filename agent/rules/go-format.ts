/**
 * Go's number formatting as Prometheus's templates and API print numbers: %v, %g with a precision, %e, %f, printf,
 * and the humanize functions of Prometheus's template package, so annotations read the same as Prometheus's.
 */

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

/**
 * The exact decimal expansion of a finite |v| (a double is m·2^e, and m·2^-k = m·5^k / 10^k): its digits and the
 * exponent of the first one. Go rounds this exact value half to even; JavaScript's toFixed/toExponential round
 * ties up, so ties such as 2.25 → "2.2" need the exact digits.
 */
function exactDecimal(v: number): { digits: string; exp: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(v));
  const bits = buf.getBigUint64(0);
  const be = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  let e: number;
  if (be === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = be - 1075;
  }
  let int: bigint;
  let frac: number;
  if (e >= 0) {
    int = m << BigInt(e);
    frac = 0;
  } else {
    int = m * 5n ** BigInt(-e);
    frac = -e;
  }
  const s = int.toString();
  const lead = s.search(/[1-9]/);
  if (lead < 0) return { digits: '0', exp: 0 };
  return { digits: s.slice(lead).replace(/0+$/, '') || '0', exp: s.length - lead - 1 - frac };
}

/** Rounds exact digits (first digit at 10^exp) to `n` digits, half to even. */
function roundDigits(d: { digits: string; exp: number }, n: number): { digits: string; exp: number } {
  if (n <= 0) {
    // Everything is below the kept position: rounds to 0 or to one unit of the next position.
    if (n === 0 && (d.digits[0]! > '5' || (d.digits[0] === '5' && d.digits.length > 1))) return { digits: '1', exp: d.exp + 1 };
    return { digits: '0', exp: d.exp - n + 1 };
  }
  if (d.digits.length <= n) return { digits: d.digits.padEnd(n, '0'), exp: d.exp };
  const kept = d.digits.slice(0, n);
  const next = d.digits[n]!;
  const rest = d.digits.slice(n + 1);
  const up = next > '5' || (next === '5' && (/[1-9]/.test(rest) || Number(kept[n - 1]) % 2 === 1));
  if (!up) return { digits: kept, exp: d.exp };
  const r = (BigInt(kept) + 1n).toString();
  return r.length > n ? { digits: r.slice(0, n), exp: d.exp + 1 } : { digits: r, exp: d.exp };
}

/** Digits and decimal exponent of |v| rounded to `prec` significant digits (undefined prec: shortest). */
function digitsOf(v: number, prec?: number): { digits: string; exp: number } {
  if (prec === undefined) {
    const [mant, e] = Math.abs(v).toExponential().split('e') as [string, string];
    return { digits: mant.replace('.', ''), exp: Number(e) };
  }
  return roundDigits(exactDecimal(v), Math.max(1, prec));
}

function expForm(neg: boolean, digits: string, exp: number): string {
  const d = digits.replace(/0+$/, '') || '0';
  const mant = d.length > 1 ? `${d[0]}.${d.slice(1)}` : d;
  const es = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
  return `${neg ? '-' : ''}${mant}e${exp < 0 ? '-' : '+'}${es}`;
}

function fixedForm(neg: boolean, digits: string, exp: number): string {
  const d = digits.replace(/0+$/, '') || '0';
  let out: string;
  if (exp < 0) out = '0.' + '0'.repeat(-exp - 1) + d;
  else if (d.length <= exp + 1) out = d + '0'.repeat(exp + 1 - d.length);
  else out = d.slice(0, exp + 1) + '.' + d.slice(exp + 1);
  return (neg ? '-' : '') + out;
}

/** Go's %g with a precision (fmt.Sprintf("%.4g", v)); undefined precision: %g (shortest). */
export function goG(v: number, prec?: number): string {
  const sp = special(v);
  if (sp) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const neg = v < 0;
  const { digits, exp } = digitsOf(v, prec === 0 ? 1 : prec);
  const nd = digits.replace(/0+$/, '').length;
  // strconv: exponent form when exp < -4 || exp >= eprec; eprec is the precision (6 for the shortest form), or the
  // digit count when that is smaller and the number has no fraction.
  let eprec = prec === undefined ? 6 : prec === 0 ? 1 : prec;
  if (prec !== undefined && eprec > nd && nd >= exp + 1) eprec = nd;
  return exp < -4 || exp >= eprec ? expForm(neg, digits, exp) : fixedForm(neg, digits, exp);
}

/** Go's %v of a float64 (shortest digits; exponent form when the exponent is < -4 or >= 21). */
export function goV(v: number): string {
  const sp = special(v);
  if (sp) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { digits, exp } = digitsOf(v);
  return exp < -4 || exp >= 21 ? expForm(v < 0, digits, exp) : fixedForm(v < 0, digits, exp);
}

/** strconv.FormatFloat(v, 'e', -1, 64): the alert value in Prometheus's API ("1e+00"). */
export function goE(v: number): string {
  const sp = special(v);
  if (sp) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0e+00' : '0e+00';
  const { digits, exp } = digitsOf(v);
  return expForm(v < 0, digits, exp);
}

/** Go's %f with a precision (default 6), ties rounded half to even on the exact value as Go does. */
export function goF(v: number, prec = 6): string {
  const sp = special(v);
  if (sp) return sp;
  const neg = v < 0 || Object.is(v, -0);
  if (v === 0) return (neg ? '-' : '') + (prec > 0 ? '0.' + '0'.repeat(prec) : '0');
  const ex = exactDecimal(v);
  const r = roundDigits(ex, ex.exp + 1 + prec);
  let intPart: string;
  let fracPart: string;
  if (r.digits === '0') {
    intPart = '0';
    fracPart = '0'.repeat(prec);
  } else {
    const all = r.exp >= 0 ? r.digits.padEnd(r.exp + 1 + prec, '0') : '0'.repeat(-r.exp) + r.digits;
    const cut = r.exp >= 0 ? r.exp + 1 : 1;
    const padded = r.exp >= 0 ? all : all.padEnd(1 + prec, '0');
    intPart = padded.slice(0, cut).replace(/^0+(?=\d)/, '');
    fracPart = padded.slice(cut, cut + prec).padEnd(prec, '0');
  }
  const isZero = /^0*$/.test(intPart + fracPart);
  return (neg && !isZero ? '-' : neg && isZero ? '-' : '') + intPart + (prec > 0 ? '.' + fracPart : '');
}

/** Go's %e with a precision (default 6). */
function goEPrec(v: number, prec = 6): string {
  const sp = special(v);
  if (sp) return sp;
  if (v === 0) return (Object.is(v, -0) ? '-' : '') + (prec > 0 ? '0.' + '0'.repeat(prec) : '0') + 'e+00';
  const r = roundDigits(exactDecimal(v), prec + 1);
  const mant = prec > 0 ? `${r.digits[0]}.${r.digits.slice(1)}` : r.digits;
  const n = r.exp;
  return `${v < 0 ? '-' : ''}${mant}e${n < 0 ? '-' : '+'}${Math.abs(n) < 10 ? '0' : ''}${Math.abs(n)}`;
}

function humanizeWith(v: number, base: number, big: readonly string[], small: readonly string[]): string {
  if (v === 0 || !Number.isFinite(v)) return goG(v, 4);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of big) {
      if (Math.abs(v) < base) break;
      prefix = p;
      v /= base;
    }
    return goG(v, 4) + prefix;
  }
  for (const p of small) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return goG(v, 4) + prefix;
}

const smallPrefixes = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

export function humanize(v: number): string {
  return humanizeWith(v, 1000, ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'], smallPrefixes);
}

export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return goG(v, 4);
  return humanizeWith(v, 1024, ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'], []);
}

export function humanizePercentage(v: number): string {
  return goG(v * 100, 4) + '%';
}

export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return goG(v, 4);
  if (v === 0) return '0s';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const d = Math.trunc(v);
    const seconds = d % 60;
    const minutes = Math.trunc(d / 60) % 60;
    const hours = Math.trunc(d / 3600) % 24;
    const days = Math.trunc(d / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${goG(v, 4)}s`;
  }
  let prefix = '';
  for (const p of smallPrefixes) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${goG(v, 4)}${prefix}s`;
}

/** Go's %v of a template value. */
export function goValue(v: unknown): string {
  if (typeof v === 'number') return goV(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'object')
    return (
      'map[' +
      Object.keys(v)
        .sort()
        .map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`)
        .join(' ') +
      ']'
    );
  return String(v);
}

/** Go's fmt.Sprintf for the verbs templates use: %s %v %d %f %g %e %x %q %% with width, precision and flags. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let i = 0;
  return (
    format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags: string, width: string | undefined, precision: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      if (i >= args.length) return `%!${verb}(MISSING)`;
      const a = args[i++];
      const prec = precision === undefined ? undefined : Number(precision);
      let s: string;
      switch (verb) {
        case 'v':
        case 's':
          s = goValue(a);
          if (prec !== undefined && verb === 's') s = s.slice(0, prec);
          break;
        case 'q':
          s = JSON.stringify(goValue(a));
          break;
        case 'd':
          s = typeof a === 'number' && Number.isInteger(a) ? String(a) : `%!d(${typeof a === 'number' ? 'float64' : 'string'}=${goValue(a)})`;
          break;
        case 'f':
        case 'F':
          s = typeof a === 'number' ? goF(a, prec) : `%!f(string=${goValue(a)})`;
          break;
        case 'g':
          s = typeof a === 'number' ? goG(a, prec) : `%!g(string=${goValue(a)})`;
          break;
        case 'e':
          s = typeof a === 'number' ? goEPrec(a, prec) : `%!e(string=${goValue(a)})`;
          break;
        case 'x':
          s = typeof a === 'number' && Number.isInteger(a) ? a.toString(16) : Buffer.from(goValue(a)).toString('hex');
          break;
        default:
          s = `%!${verb}(${goValue(a)})`;
      }
      if (flags.includes('+') && typeof a === 'number' && a >= 0 && 'dfFge'.includes(verb)) s = '+' + s;
      const w = width === undefined ? 0 : Number(width);
      if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && typeof a === 'number' ? s.padStart(w, '0') : s.padStart(w);
      return s;
    }) +
    (i < args.length
      ? `%!(EXTRA ${args
          .slice(i)
          .map((a) => `${typeof a === 'number' ? 'float64' : 'string'}=${goValue(a)}`)
          .join(', ')})`
      : '')
  );
}
