/**
 * OpenTelemetry → Prometheus names, after the OpenTelemetry specification's Prometheus and OpenMetrics compatibility
 * rules (as the Collector's translator applies them with suffixes on): the name is split into words on every character
 * Prometheus does not allow and joined with `_`; the unit (UCUM, `{annotations}` dropped) is appended in Prometheus
 * words (`s` → `seconds`, `By` → `bytes`, `m/s` → `meters_per_second`) unless the name already carries it; a
 * dimensionless gauge (`1`) ends in `_ratio`; a monotonic sum ends in `_total`.
 */

const mainUnits: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const perUnits: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

/** A table's own entry only: a unit such as `valueOf` or `constructor` is not a key of Object.prototype here. */
const own = (table: Record<string, string>, key: string): string | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

function words(s: string): string[] {
  return s.split(/[^a-zA-Z0-9]+/).filter((w) => w.length > 0);
}

/** The Prometheus family name of an OTLP metric (counters with `_total`, as the store names them). */
export function prometheusName(name: string, unit: string, kind: 'counter' | 'gauge' | 'other'): string {
  const out = words(name);
  const u = unit.replace(/\{[^}]*\}/g, '').trim();
  if (u !== '' && u !== '1') {
    const [main = '', per = ''] = u.split('/', 2);
    const mainWords = words(own(mainUnits, main.trim()) ?? main);
    if (mainWords.length > 0 && !endsWith(out, mainWords)) out.push(...mainWords);
    const perWord = per.trim() === '' ? [] : words(own(perUnits, per.trim()) ?? per);
    if (perWord.length > 0 && !endsWith(out, ['per', ...perWord])) out.push('per', ...perWord);
  }
  if (kind === 'gauge' && u === '1' && out[out.length - 1] !== 'ratio') out.push('ratio');
  if (kind === 'counter') {
    const i = out.lastIndexOf('total');
    if (i >= 0 && i === out.length - 1) out.pop();
    out.push('total');
  }
  let joined = out.join('_');
  if (joined === '') joined = '_';
  return /^[0-9]/.test(joined) ? '_' + joined : joined;
}

function endsWith(a: string[], tail: string[]): boolean {
  if (tail.length > a.length) return false;
  for (let i = 0; i < tail.length; i++) if (a[a.length - tail.length + i] !== tail[i]) return false;
  return true;
}

const labelCache = new Map<string, string>();

/** A Prometheus label name for an attribute key: invalid characters become `_`; a leading digit or `_` gets `key`. */
export function prometheusLabel(key: string): string {
  const hit = labelCache.get(key);
  if (hit !== undefined) return hit;
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (out === '' || /^[0-9]/.test(out)) out = 'key_' + out;
  else if (out.startsWith('_')) out = 'key' + out;
  if (labelCache.size < 10_000) labelCache.set(key, out);
  return out;
}
