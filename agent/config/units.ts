/**
 * Durations and sizes written the way Prometheus users write them.
 * Durations: `500ms`, `10s`, `1m30s`, `2h`, `1d`, `1w` (units ms, s, m, h, d, w, y), or a bare number of seconds.
 * Sizes: `512`, `64KiB`, `64MiB`, `1GiB`, `10MB`, `1.5GB` (IEC powers of 1024 and SI powers of 1000; `B` optional).
 */

const durationUnitsMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

const durationRe = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y))+$/;
const durationPartRe = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;

/** Parses a duration into milliseconds; returns undefined when the text is not a duration. */
export function parseDurationMs(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const s = text.trim();
  if (s === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s) * 1000;
  if (!durationRe.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(durationPartRe)) total += Number(m[1]) * durationUnitsMs[m[2]!]!;
  return total;
}

/** Formats milliseconds the way parseDurationMs reads them (largest exact units first). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = durationUnitsMs[unit]!;
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}

const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parses a byte size; returns undefined when the text is not a size. */
export function parseSizeBytes(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const mult = sizeUnits[m[2]!.toLowerCase()];
  if (mult === undefined) return undefined;
  return Math.round(Number(m[1]) * mult);
}

/** Formats a byte count with the largest exact IEC unit. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['TiB', 1024 ** 4],
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
