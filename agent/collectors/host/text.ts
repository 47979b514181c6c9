/**
 * Small helpers shared by the host collectors' parsers: line splitting, number parsing that refuses garbage,
 * octal escapes as the kernel writes them in mount tables. (The issues a parser notes are logged by the runner.)
 */
import { keptFiles } from '../kept-files';
import { NoDataError } from '../collector';

/** Non-empty lines of a file, without trailing whitespace. */
export function lines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trimEnd();
    if (l !== '') out.push(l);
  }
  return out;
}

/** Whitespace-separated fields of a line (what `line.trim().split(/\s+/)` gives, and [] for a blank line). */
export function fields(line: string): string[] {
  return fieldsInto(line, []);
}

/**
 * `fields`, into `into` (emptied first) and at most `max` of them: a parser reusing one array a line, or wanting only
 * a line's first fields (the key of /proc/stat's `intr` line, not its hundreds of counts), makes no array and no
 * string for the rest. Whitespace is what `\s` matches.
 */
export function fieldsInto(line: string, into: string[], max = Infinity): string[] {
  into.length = 0;
  const n = line.length;
  let i = 0;
  while (into.length < max) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i === n) break;
    const start = i;
    while (i < n && !isSpace(line.charCodeAt(i))) i++;
    into.push(line.slice(start, i));
  }
  return into;
}

/** Whether a UTF-16 code unit is whitespace to `\s` (and to `trim`). */
export function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * The plain decimal integer (optionally `-`) at `text[start, end)`, read without a substring; undefined when that
 * range is anything else (a float, an exponent, a sign alone, more than 15 digits): the caller then takes its
 * general path (`num`), so the value is the same either way.
 */
export function plainInt(text: string, start: number, end: number): number | undefined {
  let i = start;
  const neg = i < end && text.charCodeAt(i) === 45;
  if (neg) i++;
  if (i === end || end - i > 15) return undefined;
  let v = 0;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/** A decimal (or float) number; undefined when the text is not one. */
export function num(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** A hexadecimal counter (as in /proc/net/stat/*); undefined when not one. */
export function hex(s: string | undefined): number | undefined {
  if (s === undefined || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  return parseInt(s, 16);
}

/** Decodes the kernel's octal escapes in mount tables (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function unescapeOctal(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Problems a parser met (garbled or truncated lines); the runner logs them, the parse goes on. */
export type { Issues } from '../collector';

/** Compiles a configured regular expression; an empty string matches nothing. */
export function regex(source: string): RegExp | undefined {
  return source === '' ? undefined : new RegExp(source);
}

/** Shortens file content quoted in an issue. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s);
}

/**
 * Reads a procfs/sysfs/udev file synchronously. These files are made by the kernel on read (or live in tmpfs):
 * nothing waits on a disk or a network, and a read takes microseconds, where the async readFile costs four trips
 * through the libuv pool (open, fstat, read, close) and competes with the rest of the process for its 4 threads.
 * Measured in bench/README.md. Kernel files are read on descriptors kept open between runs (../kept-files.ts).
 * Missing (ENOENT, ENOTDIR) is undefined; other errors reject.
 */
export function readText(path: string): Promise<string | undefined> {
  // Not an async function: the read is synchronous, and an async function's own state would be made for each of
  // the ~200 reads a round. An error still comes as a rejection, as from an async function.
  try {
    return Promise.resolve(keptFiles.read(path));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/** readText, with a missing file as NoDataError naming it. */
export function readTextRequired(path: string): Promise<string> {
  try {
    const text = keptFiles.read(path);
    return text === undefined ? Promise.reject(new NoDataError(`${path} does not exist`)) : Promise.resolve(text);
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

export { linkTarget, listDir } from '../fs-read';
