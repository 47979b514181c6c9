/**
 * Reading sysfs attribute files the way node_exporter's collectors read them: one short read with only the trailing
 * newline cut (so a label keeps its inner spaces), and numbers parsed as Go's strconv does (no surrounding
 * whitespace, no hex unless asked). Shared by the collectors added for node_exporter parity.
 */
import { realpathSync, statSync } from 'node:fs';
import { keptFiles } from '../kept-files';

/** The attribute's text with trailing newlines removed; undefined when it cannot be read (missing, EIO, EINVAL). */
export function readRaw(path: string): string | undefined {
  try {
    return keptFiles.read(path)?.replace(/\n+$/, '');
  } catch {
    return undefined;
  }
}

/** The attribute's text trimmed of surrounding whitespace (as the procfs library's sysfs reads). */
export function readTrim(path: string): string | undefined {
  return readRaw(path)?.trim();
}

const decimal = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A float as Go's ParseFloat reads sysfs values (decimal, optional exponent, Inf/NaN); undefined otherwise. */
export function goFloat(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (decimal.test(s)) return Number(s);
  const l = s.toLowerCase().replace(/^[+]/, '');
  if (l === 'inf' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan') return NaN;
  return undefined;
}

/** An unsigned decimal integer (Go's ParseUint base 10); undefined otherwise. */
export function goUint(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

/** An integer with Go's base-0 prefixes (0x hex, 0 octal, 0b binary); undefined otherwise. */
export function goUintBase0(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[bB][01]+$/.test(s)) return parseInt(s.slice(2), 2);
  if (/^0[0-7]+$/.test(s)) return parseInt(s.slice(1), 8);
  return goUint(s);
}

/** Real path with every symlink resolved; undefined when a link dangles. */
export function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** Whether the path (links followed) is a directory. */
export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
