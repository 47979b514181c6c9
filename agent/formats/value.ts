/** Sample values in the Prometheus text formats: how they are written and how they are read. */

/** Formats a sample value the way Prometheus parsers read it. */
export function formatValue(v: number): string {
  // Finite values (the usual case) in one test: v - v is 0 for them, NaN for NaN and the infinities.
  if (v - v === 0) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const decimalRe = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const infRe = /^([+-]?)inf(?:inity)?$/i;

/**
 * Reads a sample value: a decimal float (exponent allowed), `±Inf`/`Infinity` or `NaN` in any case. Anything else
 * (hex, an empty string, JavaScript's looser `Number()` forms) is undefined, so the caller reports it.
 */
export function parseValue(s: string): number | undefined {
  if (decimalRe.test(s)) return Number(s);
  const inf = infRe.exec(s);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (s.length === 3 && s.toLowerCase() === 'nan') return NaN;
  return undefined;
}
