/**
 * A parser for the subset of Go's text/template that Prometheus alert labels and annotations use: text, actions with
 * pipelines (`{{ $value | humanize }}`), variables (`$labels.instance`, `.Labels.job`, `$x := ...`), string, number
 * and bool literals, function calls with arguments and parentheses, `if`/`else if`/`else`/`end`, `with`, comments
 * and the `{{-`/`-}}` whitespace trims. Anything else (`range`, `define`, `template`, `block`) is refused with a
 * message naming it, so a rule file that needs it fails when it is loaded, not when an alert fires.
 */

export type Operand =
  | { kind: 'var'; name: string; fields: string[] }
  | { kind: 'dot'; fields: string[] }
  | { kind: 'lit'; value: string | number | boolean }
  | { kind: 'ident'; name: string }
  | { kind: 'paren'; pipe: Pipeline; fields: string[] };

export interface Command {
  args: Operand[];
}

export interface Pipeline {
  /** `$x := pipeline` declares (or `$x = ...` assigns) a variable; the action then prints nothing. */
  decl?: string;
  cmds: Command[];
}

export type Node = { kind: 'text'; text: string } | { kind: 'action'; pipe: Pipeline } | { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[] };

export class TemplateError extends Error {}

interface RawAction {
  body: string;
  line: number;
}

type Piece = { text: string } | { action: RawAction };

function split(src: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) out.push({ text });
    line += (src.slice(i, open).match(/\n/g) ?? []).length;
    let close = -1;
    let inStr: string | undefined;
    for (let j = start; j < src.length - 1; j++) {
      const c = src[j];
      if (inStr) {
        if (c === '\\' && inStr === '"') j++;
        else if (c === inStr) inStr = undefined;
      } else if (c === '"' || c === '`') inStr = c;
      else if (c === '}' && src[j + 1] === '}') {
        close = j;
        break;
      }
    }
    if (close < 0) throw new TemplateError(`${line}: unclosed action`);
    let end = close;
    let trimAfter = false;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      end = close - 1;
      trimAfter = true;
    }
    out.push({ action: { body: src.slice(start, end), line } });
    line += (src.slice(open, close).match(/\n/g) ?? []).length;
    i = close + 2;
    if (trimAfter) while (i < src.length && /\s/.test(src[i]!)) i++;
  }
  return out;
}

type Tok = { t: 'var' | 'field' | 'ident' | 'str' | 'num' | 'sym'; v: string };

function tokenize(body: string, line: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const err = (m: string) => new TemplateError(`${line}: ${m}`);
  const rules: Array<[RegExp, (m: string) => Tok]> = [
    [/^\$[A-Za-z0-9_]*/, (m) => ({ t: 'var', v: m })],
    [/^\.[A-Za-z_][A-Za-z0-9_]*/, (m) => ({ t: 'field', v: m.slice(1) })],
    [/^[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/, (m) => ({ t: 'num', v: m })],
    [/^(?::=|=|\.|\||\(|\))/, (m) => ({ t: 'sym', v: m })],
    [/^[A-Za-z_][A-Za-z0-9_]*/, (m) => ({ t: 'ident', v: m })],
    [/^"(?:[^"\\]|\\.)*"/, (m) => ({ t: 'str', v: JSON.parse(m.replace(/\\'/g, "'")) as string })],
    [/^`[^`]*`/, (m) => ({ t: 'str', v: m.slice(1, -1) })],
  ];
  outer: while (i < body.length) {
    if (/\s/.test(body[i]!)) {
      i++;
      continue;
    }
    const rest = body.slice(i);
    for (const [re, make] of rules) {
      const m = re.exec(rest);
      if (!m) continue;
      try {
        toks.push(make(m[0]));
      } catch {
        throw err(`bad quoted string ${m[0]}`);
      }
      i += m[0].length;
      continue outer;
    }
    throw err(rest[0] === '"' || rest[0] === '`' ? 'unterminated quoted string' : `unexpected ${JSON.stringify(rest[0])} in command`);
  }
  return toks;
}

class PipeParser {
  #toks: Tok[];
  #i = 0;
  #line: number;

  constructor(toks: Tok[], line: number) {
    this.#toks = toks;
    this.#line = line;
  }

  err(m: string): TemplateError {
    return new TemplateError(`${this.#line}: ${m}`);
  }

  get done(): boolean {
    return this.#i >= this.#toks.length;
  }

  pipeline(inParen = false): Pipeline {
    const pipe: Pipeline = { cmds: [] };
    const a = this.#toks[this.#i];
    const b = this.#toks[this.#i + 1];
    if (a?.t === 'var' && b?.t === 'sym' && (b.v === ':=' || b.v === '=')) {
      pipe.decl = a.v;
      this.#i += 2;
    }
    for (;;) {
      const cmd: Command = { args: [] };
      while (!this.done) {
        const t = this.#toks[this.#i]!;
        if (t.t === 'sym' && (t.v === '|' || t.v === ')')) break;
        cmd.args.push(this.operand());
      }
      if (cmd.args.length === 0) throw this.err(pipe.cmds.length === 0 ? 'missing value for command' : 'missing command after |');
      pipe.cmds.push(cmd);
      const t = this.#toks[this.#i];
      if (t?.t === 'sym' && t.v === '|') {
        this.#i++;
        continue;
      }
      if (t?.t === 'sym' && t.v === ')' && !inParen) throw this.err('unexpected ) in operand');
      return pipe;
    }
  }

  #fields(): string[] {
    const f: string[] = [];
    while (this.#toks[this.#i]?.t === 'field') f.push(this.#toks[this.#i++]!.v);
    return f;
  }

  operand(): Operand {
    const t = this.#toks[this.#i++]!;
    switch (t.t) {
      case 'var':
        return { kind: 'var', name: t.v, fields: this.#fields() };
      case 'field':
        return { kind: 'dot', fields: [t.v, ...this.#fields()] };
      case 'str':
        return { kind: 'lit', value: t.v };
      case 'num':
        return { kind: 'lit', value: Number(t.v) };
      case 'ident':
        if (t.v === 'true' || t.v === 'false') return { kind: 'lit', value: t.v === 'true' };
        return { kind: 'ident', name: t.v };
      case 'sym':
        if (t.v === '.') return { kind: 'dot', fields: [] };
        if (t.v === '(') {
          const pipe = this.pipeline(true);
          const close = this.#toks[this.#i++];
          if (close?.t !== 'sym' || close.v !== ')') throw this.err('unclosed left paren');
          return { kind: 'paren', pipe, fields: this.#fields() };
        }
    }
    throw this.err(`unexpected ${JSON.stringify(t.v)} in operand`);
  }
}

const refused = new Set(['range', 'define', 'template', 'block', 'break', 'continue']);

/** Parses a template; throws TemplateError with the line and what is wrong. `known` names the functions defined. */
export function parseTemplate(src: string, known: ReadonlySet<string>): Node[] {
  const pieces = split(src);
  let pos = 0;
  const vars = new Set(['$', '$labels', '$externalLabels', '$externalURL', '$value']);
  const checkOperands = (pipe: Pipeline, line: number): void => {
    for (const cmd of pipe.cmds) {
      cmd.args.forEach((a, i) => {
        if (a.kind === 'ident' && !known.has(a.name)) throw new TemplateError(`${line}: function "${a.name}" not defined`);
        if (a.kind === 'ident' && i > 0) throw new TemplateError(`${line}: function "${a.name}" used as an argument (wrap it in parentheses)`);
        if (a.kind === 'var' && !vars.has(a.name)) throw new TemplateError(`${line}: undefined variable "${a.name}"`);
        if (a.kind === 'paren') checkOperands(a.pipe, line);
      });
    }
    if (pipe.decl) vars.add(pipe.decl);
  };
  const parseList = (depth: number): { nodes: Node[]; end: 'end' | 'else' | 'eof'; elseBody?: string; line: number } => {
    const nodes: Node[] = [];
    while (pos < pieces.length) {
      const p = pieces[pos++]!;
      if ('text' in p) {
        nodes.push({ kind: 'text', text: p.text });
        continue;
      }
      const body = p.action.body.trim();
      const line = p.action.line;
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw new TemplateError(`${line}: unclosed comment`);
        continue;
      }
      const kw = /^([a-z]+)\b/.exec(body)?.[1];
      if (kw === 'end' || kw === 'else') {
        if (depth === 0) throw new TemplateError(`${line}: unexpected {{${kw}}}`);
        return { nodes, end: kw, elseBody: kw === 'else' ? body.slice(4).trim() : undefined, line };
      }
      if (kw && refused.has(kw)) throw new TemplateError(`${line}: {{${kw}}} is not supported in alert templates here`);
      if (kw === 'if' || kw === 'with') {
        nodes.push(parseBranch(kw, body.slice(kw.length), line, depth));
        continue;
      }
      const pp = new PipeParser(tokenize(body, line), line);
      const pipe = pp.pipeline();
      if (!pp.done) throw pp.err('unexpected tokens after the pipeline');
      checkOperands(pipe, line);
      nodes.push({ kind: 'action', pipe });
    }
    return { nodes, end: 'eof', line: 0 };
  };
  const parseBranch = (kw: 'if' | 'with', cond: string, line: number, depth: number): Node => {
    const pp = new PipeParser(tokenize(cond, line), line);
    const pipe = pp.pipeline();
    if (!pp.done) throw pp.err(`unexpected tokens after the ${kw} pipeline`);
    checkOperands(pipe, line);
    const body = parseList(depth + 1);
    if (body.end === 'eof') throw new TemplateError(`${line}: unexpected EOF: {{${kw}}} without {{end}}`);
    let elseNodes: Node[] = [];
    if (body.end === 'else') {
      const rest = body.elseBody ?? '';
      const chained = /^(if|with)\b/.exec(rest)?.[1] as 'if' | 'with' | undefined;
      if (chained) elseNodes = [parseBranch(chained, rest.slice(chained.length), body.line, depth)];
      else {
        if (rest !== '') throw new TemplateError(`${body.line}: unexpected "${rest}" after else`);
        const tail = parseList(depth + 1);
        if (tail.end !== 'end') throw new TemplateError(`${body.line}: expected {{end}} after {{else}}`);
        elseNodes = tail.nodes;
      }
    }
    return { kind: kw, pipe, then: body.nodes, else: elseNodes };
  };
  const top = parseList(0);
  return top.nodes;
}
