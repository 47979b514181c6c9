/**
 * The local time zone's abbreviation ("UTC", "CET", "CEST", "PDT") read the way the C library and Go find it,
 * without ICU: `TZ` (a path, a name under the zoneinfo directory, or a POSIX TZ string) or else /etc/localtime, a
 * TZif file whose version 2+ footer is a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3") naming the zone's standard
 * and daylight-saving abbreviations and offsets. The one in force is the one whose offset is the process's current
 * offset. Building an Intl formatter for the same answer loads ICU's locale and zone data: ~8 MiB of RSS held for
 * the process's life (bench/README.md, Footprint), for a label.
 *
 * Undefined when the zone cannot be read this way (no footer, an offset that matches neither abbreviation): the
 * caller falls back to Intl.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** A POSIX TZ string's abbreviations and their offsets east of UTC in seconds. */
export interface PosixZone {
  std: string;
  stdOffset: number;
  dst?: string | undefined;
  dstOffset?: number | undefined;
}

export interface ZoneSource {
  /** The `TZ` environment variable (undefined when unset). */
  tz: string | undefined;
  /** The zoneinfo directory (`TZDIR`, else /usr/share/zoneinfo). */
  zoneinfo: string;
  /** The file read when `TZ` is unset. */
  localtime: string;
  /** Reads a file whole, undefined when it cannot be read. */
  read: (path: string) => Buffer | undefined;
}

/** A TZif file is a few KiB; anything much larger is not one. */
const kMaxTzif = 256 * 1024;

function readSmall(path: string): Buffer | undefined {
  try {
    const b = readFileSync(path);
    return b.length <= kMaxTzif ? b : undefined;
  } catch {
    return undefined;
  }
}

function processZoneSource(): ZoneSource {
  return { tz: process.env.TZ, zoneinfo: process.env.TZDIR || '/usr/share/zoneinfo', localtime: '/etc/localtime', read: readSmall };
}

/** The POSIX TZ string at the end of a version 2+ TZif file, undefined for another file or a version 1 file. */
export function tzifFooter(b: Buffer): string | undefined {
  if (b.length < 44 || b.toString('latin1', 0, 4) !== 'TZif' || b[4] === 0 || b[b.length - 1] !== 0x0a) return undefined;
  const start = b.lastIndexOf(0x0a, b.length - 2);
  if (start < 0) return undefined;
  const footer = b.toString('latin1', start + 1, b.length - 1);
  return /^[\x20-\x7e]*$/.test(footer) ? footer : undefined;
}

/** Reads an abbreviation (`<+03>` or three or more letters) at `i`: [name, next index]. */
function readName(s: string, i: number): [string, number] | undefined {
  if (s[i] === '<') {
    const end = s.indexOf('>', i + 1);
    if (end < 0) return undefined;
    const name = s.slice(i + 1, end);
    return /^[A-Za-z0-9+-]{3,}$/.test(name) ? [name, end + 1] : undefined;
  }
  let j = i;
  while (j < s.length && /[A-Za-z]/.test(s[j]!)) j++;
  return j - i >= 3 ? [s.slice(i, j), j] : undefined;
}

/** Reads `[+-]hh[:mm[:ss]]` at `i` (hours west of UTC, as POSIX writes them): [seconds east of UTC, next index]. */
function readOffset(s: string, i: number): [number, number] | undefined {
  const m = /^([+-]?)(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?/.exec(s.slice(i));
  if (!m) return undefined;
  const west = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return [m[1] === '-' ? west : -west, i + m[0].length];
}

/** Parses the names and offsets of a POSIX TZ string; the transition rules after `,` are not needed here. */
export function parsePosixTz(s: string): PosixZone | undefined {
  const std = readName(s, 0);
  if (!std) return undefined;
  const stdOff = readOffset(s, std[1]);
  if (!stdOff) return undefined;
  const zone: PosixZone = { std: std[0], stdOffset: stdOff[0] };
  let i = stdOff[1];
  if (i === s.length) return zone;
  const dst = readName(s, i);
  if (!dst) return undefined;
  zone.dst = dst[0];
  i = dst[1];
  const dstOff = s[i] === ',' || i === s.length ? undefined : readOffset(s, i);
  zone.dstOffset = dstOff ? dstOff[0] : zone.stdOffset + 3600;
  if (dstOff) i = dstOff[1];
  return i === s.length || s[i] === ',' ? zone : undefined;
}

/** The POSIX TZ string of the process's zone, from `TZ` or the local time file. */
function zoneString(src: ZoneSource): string | undefined {
  let tz = src.tz;
  if (tz === undefined) {
    const b = src.read(src.localtime);
    // No local time file: the C library and Go both take UTC.
    return b === undefined ? 'UTC0' : tzifFooter(b);
  }
  if (tz.startsWith(':')) tz = tz.slice(1);
  if (tz === '') return 'UTC0';
  if (!tz.split('/').includes('..')) {
    const b = src.read(isAbsolute(tz) ? tz : join(src.zoneinfo, tz));
    if (b !== undefined) return tzifFooter(b);
  }
  return tz;
}

/** The abbreviation in force at `offsetSeconds` (east of UTC), undefined when it cannot be told without ICU. */
export function zoneAbbreviation(offsetSeconds: number, src: ZoneSource = processZoneSource()): string | undefined {
  const s = zoneString(src);
  const z = s === undefined ? undefined : parsePosixTz(s);
  if (!z) return undefined;
  if (z.stdOffset === offsetSeconds) return z.std;
  if (z.dst !== undefined && z.dstOffset === offsetSeconds) return z.dst;
  return undefined;
}
