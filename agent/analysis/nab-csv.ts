/**
 * Reading NAB-format series: a CSV with a `timestamp,value` header and one row per observation, timestamps as
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) or anything `Date.parse` accepts, in time order.
 */
import { OutriderError } from '../core/errors';

export interface Series {
  timestampsMs: number[];
  /** The timestamp text as written, so output can echo it unchanged. */
  timestampText: string[];
  values: number[];
}

const nabTime = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z?$/;

export function parseTimestamp(text: string): number {
  const m = nabTime.exec(text);
  if (m) {
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  }
  return Date.parse(text);
}

/** Parses the whole file; the first problem (bad header, bad row) is an error naming its line. */
export function parseSeriesCsv(text: string, source = 'input'): Series {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '')
    .trim()
    .toLowerCase()
    .split(',')
    .map((s) => s.trim());
  if (header[0] !== 'timestamp' || header[1] !== 'value') {
    throw new OutriderError('OUTRIDER_ERR_ANALYSIS_BAD_CSV', `${source}:1: expected a "timestamp,value" header, got "${lines[0] ?? ''}"`);
  }
  const out: Series = { timestampsMs: [], timestampText: [], values: [] };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const comma = line.indexOf(',');
    const ts = comma < 0 ? line : line.slice(0, comma).trim();
    const rest = comma < 0 ? '' : line.slice(comma + 1);
    const next = rest.indexOf(',');
    const valueText = (next < 0 ? rest : rest.slice(0, next)).trim();
    const ms = parseTimestamp(ts);
    const value = valueText === '' ? Number.NaN : Number(valueText);
    if (!Number.isFinite(ms)) throw new OutriderError('OUTRIDER_ERR_ANALYSIS_BAD_CSV', `${source}:${i + 1}: "${ts}" is not a timestamp`);
    if (!Number.isFinite(value)) throw new OutriderError('OUTRIDER_ERR_ANALYSIS_BAD_CSV', `${source}:${i + 1}: "${valueText}" is not a number`);
    out.timestampsMs.push(ms);
    out.timestampText.push(ts);
    out.values.push(value);
  }
  return out;
}
