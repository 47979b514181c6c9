/**
 * Reads an OpenMetrics 1.0 body through the shared text parser (formats/parse.ts, which reads the 0.0.4 format): each
 * complete line is rewritten to its 0.0.4 equivalent before the parser sees it, so line numbers stay the body's own.
 *
 * - `# EOF` ends the body; a line after it, or a body without it, is an error.
 * - HELP text unescapes `\\`, `\n` and `\"` (the 0.0.4 format has no `\"`).
 * - `# UNIT` lines are read and dropped (the store has no unit field); `unknown` is `untyped`; `info` and `stateset`
 *   are gauges; `gaugehistogram` is untyped (its `_gcount`/`_gsum` become their own series).
 * - A counter family `foo` is named `foo_total`, as its samples are.
 * - `_created` samples of counters, histograms and summaries are dropped (the store holds no created timestamp).
 * - Exemplars (` # {labels} value [timestamp]` after a sample) are dropped; the store has no place for them.
 * - Timestamps are seconds (with fractions) in OpenMetrics and milliseconds in 0.0.4: converted.
 * Held state is one incomplete line (bounded by `maxLineLength`) and the declared type of each family.
 */
import { StringDecoder } from 'node:string_decoder';
import { OutriderError } from '../../core/errors';
import { ParsedFamily, ParsedSample, TextParser } from '../../formats/parse';

const typeMap: Record<string, string> = { unknown: 'untyped', info: 'gauge', stateset: 'gauge', gaugehistogram: 'untyped' };

export class OpenMetricsReader {
  readonly #parser: TextParser;
  readonly #decoder = new StringDecoder('utf8');
  readonly #maxLine: number;
  readonly #types = new Map<string, string>();
  #tail = '';
  #line = 0;
  #eof = false;
  /** `_created` samples and exemplars dropped. */
  dropped = { created: 0, exemplars: 0 };

  #pendingHelp: { name: string; line: string } | undefined;

  constructor(sink: (sample: ParsedSample, family: ParsedFamily) => void, maxLineLength = 1 << 20) {
    // The parser sees rewritten lines; its errors are reported with this body's own line number.
    this.#parser = new TextParser(sink, { maxLineLength, onError: (issue) => this.#fail(this.#line, issue.message) });
    this.#maxLine = maxLineLength;
  }

  write(chunk: Buffer | string): void {
    let text = this.#tail + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.#emit(text.slice(start, nl));
      start = nl + 1;
    }
    text = start === 0 ? text : text.slice(start);
    if (text.length > this.#maxLine) this.#fail(this.#line + 1, `line longer than ${this.#maxLine} characters`);
    this.#tail = text;
  }

  end(): void {
    const rest = this.#tail + this.#decoder.end();
    this.#tail = '';
    if (rest !== '') this.#emit(rest);
    if (this.#pendingHelp) this.#parser.write(this.#pendingHelp.line + '\n');
    this.#pendingHelp = undefined;
    if (!this.#eof) this.#fail(this.#line + 1, 'OpenMetrics body without "# EOF"');
    this.#parser.end();
  }

  #fail(line: number, message: string): never {
    throw new OutriderError('OUTRIDER_ERR_FORMAT_PARSE', `line ${line}: ${message}`, { line });
  }

  #emit(raw: string): void {
    this.#line++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.#eof) {
      if (line.trim() !== '') this.#fail(this.#line, 'text after "# EOF"');
      this.#parser.write('\n');
      return;
    }
    const out = this.#rewrite(line);
    // A HELP line waits for the line after it, so that a counter's TYPE (which renames the family) comes first.
    const help = this.#pendingHelp;
    this.#pendingHelp = undefined;
    if (out.startsWith('# HELP ') && this.#types.get(out.split(' ')[2]!) === undefined) {
      if (help) this.#parser.write(help.line + '\n');
      this.#pendingHelp = { name: out.split(' ')[2]!, line: out };
      return;
    }
    if (help) {
      const typed = this.#types.get(help.name) === 'counter' && !help.name.endsWith('_total') ? help.line.replace(`# HELP ${help.name} `, `# HELP ${help.name}_total `) : help.line;
      if (out.startsWith('# TYPE ')) this.#parser.write(out + '\n' + typed + '\n');
      else this.#parser.write(typed + '\n' + out + '\n');
      return;
    }
    this.#parser.write(out + '\n');
  }

  #rewrite(line: string): string {
    if (line.startsWith('#')) {
      if (line === '# EOF') {
        this.#eof = true;
        return '';
      }
      const m = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return line;
      const [, kind, name, rest = ''] = m;
      if (kind === 'UNIT') return '';
      if (kind === 'TYPE') this.#types.set(name!, rest);
      const type = kind === 'TYPE' ? rest : this.#types.get(name!);
      const outName = type === 'counter' && !name!.endsWith('_total') ? name + '_total' : name;
      // OpenMetrics HELP escapes `"` too; the 0.0.4 parser reads `\\` and `\n` only, so `\"` becomes `"` here.
      const outRest = kind === 'TYPE' ? (Object.hasOwn(typeMap, rest) ? typeMap[rest]! : rest) : rest.replace(/\\(.)/g, (m, c: string) => (c === '"' ? '"' : m));
      return `# ${kind} ${outName} ${outRest}`;
    }
    if (line.trim() === '') return line;
    return this.#sample(line);
  }

  #sample(line: string): string {
    // The end of the name and labels: the closing brace outside a quoted value, or the first blank.
    let i = 0;
    const n = line.length;
    while (i < n && line[i] !== '{' && line[i] !== ' ') i++;
    const name = line.slice(0, i);
    if (name.endsWith('_created')) {
      const base = name.slice(0, -'_created'.length);
      const t = this.#types.get(base);
      if (t === 'counter' || t === 'histogram' || t === 'summary' || t === 'gaugehistogram') {
        this.dropped.created++;
        return '';
      }
    }
    if (line[i] === '{') {
      let quoted = false;
      for (i++; i < n; i++) {
        const c = line[i];
        if (quoted) {
          if (c === '\\') i++;
          else if (c === '"') quoted = false;
        } else if (c === '"') quoted = true;
        else if (c === '}') {
          i++;
          break;
        }
      }
    }
    const head = line.slice(0, i);
    let tail = line.slice(i);
    const ex = tail.indexOf(' # ');
    if (ex >= 0) {
      tail = tail.slice(0, ex);
      this.dropped.exemplars++;
    }
    const parts = tail.trim().split(' ');
    if (parts.length === 2) {
      const secs = Number(parts[1]);
      if (!Number.isFinite(secs) || !/^-?[0-9.eE+-]+$/.test(parts[1]!)) this.#fail(this.#line, `bad timestamp ${JSON.stringify(parts[1])}`);
      return `${head} ${parts[0]} ${Math.round(secs * 1000)}`;
    }
    return `${head}${tail}`;
  }
}
