/**
 * The one reader of the Prometheus text exposition format 0.0.4 (what /metrics pages, node_exporter and push clients
 * write). Strict: every line is a comment, `# HELP name text`, `# TYPE name type` or a sample
 * `name{label="value",...} value [timestamp_ms]`, and anything else is an error naming its line.
 *
 * - Names follow the Prometheus rules; label values escape only `\\`, `\"` and `\n`; a label may not repeat.
 * - Values are decimal floats, `±Inf` or `NaN` (see `parseValue`); a timestamp is an integer of milliseconds.
 * - A family's TYPE comes before its samples and once; so does its HELP. HELP text unescapes `\\` and `\n` and keeps
 *   any other backslash as written.
 * - A histogram's `_bucket` (with `le`), `_sum` and `_count`, and a summary's `_sum` and `_count`, belong to the
 *   family declared just before them; a histogram bucket without `le` or a summary sample without `quantile` is an
 *   error. Any other sample is its own family (untyped unless declared).
 *
 * `TextParser` works on chunks (a stream) and holds at most one incomplete line (bounded by `maxLineLength`);
 * `parseText` reads a whole body. On an error the parser either throws (`OUTRIDER_ERR_FORMAT_PARSE`, with the line
 * number) or, with `onError`, reports it and goes on with the next line.
 */
import { StringDecoder } from 'node:string_decoder';
import { OutriderError } from '../core/errors';
import type { MetricType } from '../store/types';
import { distributionSuffix } from './expand';
import { ByteLine, ByteLines, ByteSample, readSampleBytes } from './parse-bytes';
import { isBlank, isNameChar, isNameStart, readDecimal } from './text-chars';
import { parseValue } from './value';

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
  /** 1-based line number in the input. */
  line: number;
  /** The series as written on its line (name and label text), when the parser was given a `known` callback. */
  raw?: string;
}

export interface ParsedFamily {
  name: string;
  help: string | undefined;
  /** As declared by TYPE; undefined when the family had no TYPE line. */
  type: MetricType | undefined;
  samples: ParsedSample[];
}

export interface ParseIssue {
  line: number;
  message: string;
}

export interface TextParserOptions {
  /** Reports a bad line and parsing goes on; without it, the first bad line throws. */
  onError?: (issue: ParseIssue) => void;
  /** Longest line accepted (characters), so an input without newlines cannot grow the buffer without bound. */
  maxLineLength?: number;
  /**
   * Offered every sample line before its labels are parsed: the series as written (name and label text) is
   * `line.slice(0, end)`. Returns true when the caller knows that series (it saw the same text in the same family
   * before) and took the value; the line then costs no label parsing and no sample object. False: the sample goes to
   * the sink as usual, with `raw` set. Only well-formed lines are offered.
   */
  known?: (line: string, end: number, value: number, timestampMs: number | undefined, family: ParsedFamily) => boolean;
  /**
   * `known` for a body given as bytes: offered the series as the bytes `view[start, end)` of a plain ASCII sample line
   * (parse-bytes.ts), read without making a string of the line. A line it does not take, and every other line, is
   * read as text (without a second offer to `known`). Only used with `known` and Buffer chunks.
   */
  knownBytes?: (view: DataView, start: number, end: number, value: number, timestampMs: number | undefined, family: ParsedFamily) => boolean;
}

export const PARSE_ERROR = 'OUTRIDER_ERR_FORMAT_PARSE';

const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

interface FamilyMeta {
  family: ParsedFamily;
  sawSamples: boolean;
}

/** Thrown inside the line parser; turned into an issue with the line number. */
class LineError extends Error {}

export class TextParser {
  readonly #sink: (sample: ParsedSample, family: ParsedFamily) => void;
  readonly #onError: ((issue: ParseIssue) => void) | undefined;
  readonly #maxLine: number;
  readonly #known: TextParserOptions['known'];
  readonly #knownBytes: TextParserOptions['knownBytes'];
  /** Whether a line read as text is offered to `known` (not when the byte reading just offered it). */
  #offer = true;
  /** Bytes mode (a `knownBytes` given, until a string chunk or a long line): the lines as bytes (text mode: #tail). */
  readonly #lines = new ByteLines();
  #textMode: boolean;
  readonly #scan: ByteSample = { nameEnd: 0, seriesEnd: 0, value: 0, timestampMs: undefined };
  /** The value and timestamp `#valueAt` read last. */
  #value = 0;
  #ts: number | undefined = undefined;
  readonly #decoder = new StringDecoder('utf8');
  readonly #families = new Map<string, FamilyMeta>();
  #current: FamilyMeta | undefined;
  #tail = '';
  #line = 0;
  #ended = false;
  /** Inside a line already refused as too long: its text is dropped up to its newline. */
  #skipping = false;

  constructor(sink: (sample: ParsedSample, family: ParsedFamily) => void, opts: TextParserOptions = {}) {
    this.#sink = sink;
    this.#onError = opts.onError;
    this.#maxLine = opts.maxLineLength ?? 1 << 20;
    this.#known = opts.known;
    this.#knownBytes = opts.known ? opts.knownBytes : undefined;
    this.#textMode = this.#knownBytes === undefined;
  }

  /** Families seen so far, in order of first appearance. */
  families(): ParsedFamily[] {
    return [...this.#families.values()].map((m) => m.family);
  }

  /** Parses the complete lines of a chunk; the last incomplete line waits for the next chunk (or `end`). */
  write(chunk: string | Buffer): void {
    if (this.#ended) throw new OutriderError('OUTRIDER_ERR_FORMAT_ENDED', 'write after end');
    if (!this.#textMode) {
      if (typeof chunk !== 'string') return this.#writeBytes(chunk);
      this.#toText();
    }
    this.#writeText(typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
  }

  #writeText(chunk: string): void {
    let text = this.#tail + chunk;
    let start = 0;
    if (this.#skipping) {
      // The rest of a refused line is not a line of its own: it would be read from wherever a chunk happened to end.
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      this.#skipping = false;
      start = nl + 1;
    }
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.#lineAt(text.slice(start, nl));
      start = nl + 1;
    }
    text = start === 0 ? text : text.slice(start);
    if (text.length > this.#maxLine) {
      this.#line++;
      this.#tail = '';
      this.#skipping = true;
      this.#fail(`line longer than ${this.#maxLine} characters`);
      return;
    }
    this.#tail = text;
  }

  /**
   * Bytes mode: each complete line is read from the chunk's bytes. A carried line longer than `maxLineLength` bytes
   * may be longer in characters: the parser then goes on in text mode, which keeps the limit as written.
   */
  #writeBytes(chunk: Buffer): void {
    this.#lines.write(chunk, this.#byteLine);
    if (this.#lines.carried > this.#maxLine) this.#toText();
  }

  /** Leaves bytes mode for good: the carry is read as text, as text mode would have read it. */
  #toText(): void {
    this.#textMode = true;
    const carry = this.#lines.take();
    if (carry.length > 0) this.#writeText(this.#decoder.write(carry));
  }

  /** One line `buf[s, e)` of a bytes-mode body: a known series takes it, anything else is read as text. */
  readonly #byteLine: ByteLine = (buf, dv, s, e) => {
    const out = this.#scan;
    if (readSampleBytes(buf, dv, s, e, out)) {
      this.#line++;
      const cur = this.#current;
      const meta = cur !== undefined && sameName(cur.family.name, dv, s, out.nameEnd) ? cur : this.#familyOf(buf.toString('latin1', s, out.nameEnd));
      if (this.#knownBytes!(dv, s, out.seriesEnd, out.value, out.timestampMs, meta.family)) {
        meta.sawSamples = true;
        return;
      }
      this.#line--;
      this.#offer = false;
    }
    try {
      this.#lineAt(buf.toString('utf8', s, e));
    } finally {
      this.#offer = true;
    }
  };

  end(): void {
    if (this.#ended) return;
    if (!this.#textMode) {
      this.#ended = true;
      const rest = this.#lines.take();
      if (rest.length > 0) this.#byteLine(rest, new DataView(rest.buffer, rest.byteOffset, rest.length), 0, rest.length);
      return;
    }
    const rest = this.#tail + this.#decoder.end();
    this.#tail = '';
    this.#ended = true;
    if (rest !== '' && !this.#skipping) this.#lineAt(rest);
  }

  #lineAt(line: string): void {
    this.#line++;
    try {
      this.#parseLine(line);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      this.#fail(err.message);
    }
  }

  #fail(message: string): void {
    const issue = { line: this.#line, message };
    if (this.#onError) this.#onError(issue);
    else throw new OutriderError(PARSE_ERROR, `line ${issue.line}: ${message}`, { line: issue.line });
  }

  #meta(name: string): FamilyMeta {
    let m = this.#families.get(name);
    if (!m) {
      m = { family: { name, help: undefined, type: undefined, samples: [] }, sawSamples: false };
      this.#families.set(name, m);
    }
    return m;
  }

  #parseLine(line: string): void {
    let i = 0;
    const n = line.length;
    while (i < n && isBlank(line.charCodeAt(i))) i++;
    let end = n;
    while (end > i && (isBlank(line.charCodeAt(end - 1)) || line.charCodeAt(end - 1) === 13)) end--;
    if (i === end) return;
    if (line.charCodeAt(i) === 35) return this.#comment(line.slice(i + 1, end)); // '#'
    this.#sample(line.slice(i, end));
  }

  #comment(body: string): void {
    const m = /^[ \t]*(HELP|TYPE)(?:[ \t]+|$)/.exec(body);
    if (!m) return; // a plain comment
    const rest = body.slice(m[0].length);
    const nm = /^[^ \t]*/.exec(rest)![0];
    if (nm === '' || !isNameStart(nm.charCodeAt(0)) || ![...nm].every((c) => isNameChar(c.charCodeAt(0)))) throw new LineError(`${m[1]} line without a valid metric name`);
    const text = rest.slice(nm.length).replace(/^[ \t]+/, '');
    const meta = this.#meta(nm);
    if (m[1] === 'HELP') {
      if (meta.family.help !== undefined) throw new LineError(`second HELP line for ${nm}`);
      meta.family.help = text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
    } else {
      if (!types.has(text)) throw new LineError(`unknown type ${JSON.stringify(text)} for ${nm}`);
      if (meta.family.type !== undefined) throw new LineError(`second TYPE line for ${nm}`);
      if (meta.sawSamples) throw new LineError(`TYPE line for ${nm} after its samples`);
      meta.family.type = text as MetricType;
    }
    this.#current = meta;
  }

  #sample(line: string): void {
    const n = line.length;
    let i = 0;
    if (!isNameStart(line.charCodeAt(0))) throw new LineError('sample line does not start with a valid metric name');
    while (i < n && isNameChar(line.charCodeAt(i))) i++;
    const name = line.slice(0, i);
    const known = this.#offer ? this.#known : undefined;
    if (known) {
      const end = line.charCodeAt(i) === 123 ? skipLabels(line, i + 1) : i;
      if (end > 0 && this.#valueAt(line, end, name) === undefined) {
        const meta = this.#familyOf(name);
        if (known(line, end, this.#value, this.#ts, meta.family)) {
          meta.sawSamples = true;
          return;
        }
      }
    }
    const labels: Record<string, string> = {};
    if (line.charCodeAt(i) === 123) i = this.#labels(line, i + 1, labels); // '{'
    const raw = this.#known ? line.slice(0, i) : undefined;
    const bad = this.#valueAt(line, i, name);
    if (bad !== undefined) throw new LineError(bad);
    const sample: ParsedSample = { name, labels, value: this.#value, line: this.#line };
    if (this.#ts !== undefined) sample.timestampMs = this.#ts;
    if (raw !== undefined) sample.raw = raw;
    const meta = this.#familyOf(name);
    const fam = meta.family;
    if (fam.type === 'histogram' && name === fam.name + '_bucket' && labels.le === undefined) throw new LineError(`histogram bucket ${name} without an le label`);
    if (fam.type === 'summary' && name === fam.name && labels.quantile === undefined) throw new LineError(`summary sample ${name} without a quantile label`);
    if (fam.type === 'histogram' && name === fam.name) throw new LineError(`histogram ${name} sample without _bucket, _sum or _count`);
    meta.sawSamples = true;
    this.#sink(sample, fam);
  }

  /** The family a sample of `name` belongs to: the one declared just before it when the name is its, else its own. */
  #familyOf(name: string): FamilyMeta {
    const cur = this.#current;
    if (cur && (cur.family.name === name || distributionSuffix(cur.family.type, cur.family.name, name))) return cur;
    return this.#meta(name);
  }

  /**
   * Reads ` value [timestamp]` from index `i` (the line has no trailing blanks) into #value and #ts; returns the
   * error message of a bad one.
   */
  #valueAt(line: string, i: number, name: string): string | undefined {
    const n = line.length;
    if (i >= n) return `no value for ${name}`;
    if (!isBlank(line.charCodeAt(i))) return `unexpected ${JSON.stringify(line[i])} after ${name}`;
    while (i < n && isBlank(line.charCodeAt(i))) i++;
    let e = i;
    while (e < n && !isBlank(line.charCodeAt(e))) e++;
    const value = readDecimal(line, i, e) ?? parseValue(line.slice(i, e));
    if (value === undefined) return `bad value ${JSON.stringify(line.slice(i, e))} for ${name}`;
    this.#value = value;
    this.#ts = undefined;
    if (e === n) return undefined;
    i = e;
    while (i < n && isBlank(line.charCodeAt(i))) i++;
    e = i;
    while (e < n && !isBlank(line.charCodeAt(e))) e++;
    if (e < n) return `unexpected text after the value of ${name}`;
    const ts = line.slice(i, e);
    if (!/^-?\d{1,19}$/.test(ts)) return `bad timestamp ${JSON.stringify(ts)} for ${name}`;
    this.#ts = Number(ts);
    return undefined;
  }

  /** Parses labels after `{`; returns the index after `}`. */
  #labels(line: string, i: number, out: Record<string, string>): number {
    const n = line.length;
    for (;;) {
      while (i < n && isBlank(line.charCodeAt(i))) i++;
      if (line.charCodeAt(i) === 125) return i + 1; // '}'
      const start = i;
      if (!isNameStart(line.charCodeAt(i)) || line.charCodeAt(i) === 58) throw new LineError('bad label name');
      while (i < n && isNameChar(line.charCodeAt(i)) && line.charCodeAt(i) !== 58) i++;
      const lname = line.slice(start, i);
      while (i < n && isBlank(line.charCodeAt(i))) i++;
      if (line.charCodeAt(i) !== 61) throw new LineError(`label ${lname} without "="`); // '='
      i++;
      while (i < n && isBlank(line.charCodeAt(i))) i++;
      if (line.charCodeAt(i) !== 34) throw new LineError(`label ${lname} value is not quoted`); // '"'
      i++;
      let value = '';
      let from = i;
      for (;;) {
        if (i >= n) throw new LineError(`unterminated value of label ${lname}`);
        const c = line.charCodeAt(i);
        if (c === 34) break;
        if (c === 92) {
          const e = line[i + 1];
          if (e !== '\\' && e !== '"' && e !== 'n') throw new LineError(`bad escape in the value of label ${lname}`);
          value += line.slice(from, i) + (e === 'n' ? '\n' : e);
          i += 2;
          from = i;
          continue;
        }
        i++;
      }
      value += line.slice(from, i);
      i++;
      if (Object.prototype.hasOwnProperty.call(out, lname)) throw new LineError(`label ${lname} repeated`);
      out[lname] = value;
      while (i < n && isBlank(line.charCodeAt(i))) i++;
      const c = line.charCodeAt(i);
      if (c === 44)
        i++; // ','
      else if (c !== 125) throw new LineError('labels not separated by ","');
    }
  }
}

/** Whether the name `name` is the bytes `dv[s, e)`. */
function sameName(name: string, dv: DataView, s: number, e: number): boolean {
  if (name.length !== e - s) return false;
  for (let k = 0; k < name.length; k++) if (name.charCodeAt(k) !== dv.getUint8(s + k)) return false;
  return true;
}

/**
 * The index after the `}` that closes the labels opened before `i`, read without building them (quotes and escapes
 * followed); -1 when the labels do not close on the line.
 */
function skipLabels(line: string, i: number): number {
  const n = line.length;
  let quoted = false;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (quoted) {
      if (c === 92) i++;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 125) return i + 1;
  }
  return -1;
}

export interface ParseResult {
  /** Families in order of first appearance, with their samples. */
  families: ParsedFamily[];
  /** Bad lines (only when `collectErrors`; otherwise the first one throws), at most `maxErrors` kept. */
  errors: ParseIssue[];
  /** All bad lines, kept or not. */
  errorCount: number;
}

/** Parses a whole body. Throws `OUTRIDER_ERR_FORMAT_PARSE` at the first bad line unless `collectErrors`. */
export function parseText(text: string | Buffer, opts: { collectErrors?: boolean; maxErrors?: number } = {}): ParseResult {
  const errors: ParseIssue[] = [];
  let errorCount = 0;
  const maxErrors = opts.maxErrors ?? 100;
  const parser = new TextParser((s, fam) => fam.samples.push(s), {
    onError: opts.collectErrors
      ? (issue) => {
          errorCount++;
          if (errors.length < maxErrors) errors.push(issue);
        }
      : undefined,
  });
  parser.write(text);
  parser.end();
  return { families: parser.families().filter((f) => f.samples.length > 0 || f.help !== undefined || f.type !== undefined), errors, errorCount };
}
