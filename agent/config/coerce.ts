/**
 * Turns a raw value (from YAML, an environment variable or a flag) into the key's parsed form, or says what is
 * expected instead. Text from the environment and flags is parsed the same way as YAML scalars.
 */
import { KeyDef } from './schema';
import { parseDurationMs, parseSizeBytes } from './units';

export type Coerced = { ok: true; value: unknown } | { ok: false; expected: string };

const ok = (value: unknown): Coerced => ({ ok: true, value });
const bad = (expected: string): Coerced => ({ ok: false, expected });

export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.%a-zA-Z]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function scalar(def: KeyDef, type: NonNullable<KeyDef['item']> | KeyDef['type'], raw: unknown): Coerced {
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  switch (type) {
    case 'string':
    case 'path':
      if (typeof raw === 'string') return ok(raw);
      if (typeof raw === 'number' || typeof raw === 'boolean') return ok(String(raw));
      return bad('a string');
    case 'int': {
      const n = typeof raw === 'number' ? raw : text !== undefined && /^-?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n)) return bad('an integer' + range(def));
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) return bad('an integer' + range(def));
      return ok(n);
    }
    case 'number': {
      const n = typeof raw === 'number' ? raw : text !== undefined && text !== '' ? Number(text) : NaN;
      if (!Number.isFinite(n)) return bad('a number' + range(def));
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) return bad('a number' + range(def));
      return ok(n);
    }
    case 'bool':
      if (typeof raw === 'boolean') return ok(raw);
      if (text !== undefined && /^(true|yes|on|1)$/i.test(text)) return ok(true);
      if (text !== undefined && /^(false|no|off|0)$/i.test(text)) return ok(false);
      return bad('true or false');
    case 'duration': {
      const ms = typeof raw === 'string' || typeof raw === 'number' ? parseDurationMs(raw) : undefined;
      if (ms === undefined) return bad('a duration such as 500ms, 10s, 1m30s' + range(def, 'ms'));
      if ((def.min !== undefined && ms < def.min) || (def.max !== undefined && ms > def.max)) {
        return bad('a duration' + range(def, 'ms'));
      }
      return ok(ms);
    }
    case 'size': {
      const b = typeof raw === 'string' || typeof raw === 'number' ? parseSizeBytes(raw) : undefined;
      if (b === undefined) return bad('a size such as 8KiB, 64MiB, 1GiB' + range(def, 'B'));
      if ((def.min !== undefined && b < def.min) || (def.max !== undefined && b > def.max)) return bad('a size' + range(def, 'B'));
      return ok(b);
    }
    case 'enum':
      if (typeof raw === 'string' && def.values?.includes(raw.trim())) return ok(raw.trim());
      return bad(`one of ${def.values?.join(', ')}`);
    case 'hostport':
      if (typeof raw === 'string' && parseHostPort(raw)) return ok(raw.trim());
      return bad('HOST:PORT, e.g. 127.0.0.1:9477 or [::1]:9477');
    case 'url':
      if (typeof raw === 'string') {
        try {
          const u = new URL(raw.trim());
          return ok(u.toString());
        } catch {
          /* fall through */
        }
      }
      return bad('a URL such as http://127.0.0.1:9478');
    default:
      return bad(`a ${type}`);
  }
}

function range(def: KeyDef, unit = ''): string {
  if (def.min === undefined && def.max === undefined) return '';
  const f = (n: number) => `${n}${unit}`;
  if (def.min !== undefined && def.max !== undefined) return ` between ${f(def.min)} and ${f(def.max)}`;
  if (def.min !== undefined) return ` of at least ${f(def.min)}`;
  return ` of at most ${f(def.max!)}`;
}

/**
 * Coerces `raw`. `fromText` marks values from the environment or a flag: a list then arrives as one
 * comma-separated string (env) or as repeated flags (already an array), and a map as `k=v,k2=v2`.
 */
export function coerce(def: KeyDef, raw: unknown, fromText = false): Coerced {
  let result: Coerced;
  if (def.type === 'list') {
    let items: unknown[];
    if (Array.isArray(raw)) items = raw.flatMap((r) => (fromText && typeof r === 'string' ? splitList(r) : [r]));
    else if (typeof raw === 'string' && fromText) items = splitList(raw);
    else if (raw === null) items = [];
    else if (def.singleItem && (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean')) items = [raw];
    else return bad(`a list of ${def.item ?? 'string'} values`);
    const out: unknown[] = [];
    for (const item of items) {
      const c = scalar(def, def.item ?? 'string', item);
      if (!c.ok) return bad(`a list of ${c.expected.replace(/^an? /, '')} values`);
      out.push(c.value);
    }
    result = ok(out);
  } else if (def.type === 'map') {
    let obj: Record<string, unknown>;
    if (typeof raw === 'string' && fromText) {
      obj = {};
      for (const part of splitList(raw)) {
        const i = part.indexOf('=');
        if (i <= 0) return bad('a map written k=v,k2=v2');
        obj[part.slice(0, i)] = part.slice(i + 1);
      }
    } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) obj = raw as Record<string, unknown>;
    else if (raw === null) obj = {};
    else return bad('a map of names to strings');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return bad('a map of names to strings');
      out[k] = String(v);
    }
    result = ok(out);
  } else if (def.type === 'any') {
    if (typeof raw === 'string' && fromText) {
      try {
        result = ok(JSON.parse(raw));
      } catch {
        return bad('JSON text (from a flag or the environment)');
      }
    } else result = ok(raw);
  } else {
    result = scalar(def, def.type, raw);
  }
  if (result.ok && def.check) {
    const expected = def.check(result.value);
    if (expected !== undefined) return bad(expected);
  }
  return result;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
