/**
 * Alert label and annotation templates, expanded as Prometheus expands them: the data is `.Labels`, `.ExternalLabels`,
 * `.ExternalURL` and `.Value`, with the shorthands `$labels`, `$externalLabels`, `$externalURL` and `$value`, and the
 * functions of Prometheus's template package that do not query (printf, humanize*, title, toUpper, reReplaceAll...).
 * A failing expansion yields `<error expanding template: ...>`, as in Prometheus.
 */
import { goValue, humanize, humanize1024, humanizeDuration, humanizePercentage, sprintf } from './go-format';
import { Node, Operand, Pipeline, TemplateError, parseTemplate } from './template-parse';

export { TemplateError } from './template-parse';

export interface TemplateData {
  labels: Readonly<Record<string, string>>;
  externalLabels: Readonly<Record<string, string>>;
  externalUrl: string;
  value: number;
}

type Fn = (...args: unknown[]) => unknown;

function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    if (v.trim() === '' || Number.isNaN(n)) throw new TemplateError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return n;
  }
  throw new TemplateError(`can't convert ${goValue(v)} to float`);
}

function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) {
    if (op === 'eq' || op === 'ne') return op === 'eq' ? a === b : a !== b;
    throw new TemplateError('incompatible types for comparison');
  }
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case 'eq':
      return x === y;
    case 'ne':
      return x !== y;
    case 'lt':
      return x < y;
    case 'le':
      return x <= y;
    case 'gt':
      return x > y;
    default:
      return x >= y;
  }
}

function goRegexp(re: string): RegExp {
  try {
    return new RegExp(re.replace(/\(\?P</g, '(?<'), 'g');
  } catch (err) {
    throw new TemplateError(`error parsing regexp: ${(err as Error).message}`);
  }
}

const functions: Record<string, Fn> = {
  printf: (f, ...a) => sprintf(String(f), a),
  print: (...a) => a.map(goValue).join(''),
  humanize: (v) => humanize(toFloat(v)),
  humanize1024: (v) => humanize1024(toFloat(v)),
  humanizePercentage: (v) => humanizePercentage(toFloat(v)),
  humanizeDuration: (v) => humanizeDuration(toFloat(v)),
  humanizeTimestamp: (v) => {
    const t = toFloat(v);
    if (!Number.isFinite(t)) return goValue(t);
    return new Date(t * 1000)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.000Z$|Z$/, ' +0000 UTC');
  },
  title: (s) => String(goValue(s)).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase()),
  toUpper: (s) => goValue(s).toUpperCase(),
  toLower: (s) => goValue(s).toLowerCase(),
  stripPort: (s) => {
    const h = goValue(s);
    const m = /^\[(.*)\]:\d+$/.exec(h) ?? /^([^:]*):\d+$/.exec(h);
    return m ? m[1] : h;
  },
  stripDomain: (s) => {
    const h = goValue(s);
    const m = /^([^.:]+)(?:\.[^:]*)?(:\d+)?$/.exec(h);
    return m && !/^\d+$/.test(m[1]!) ? m[1]! + (m[2] ?? '') : h;
  },
  reReplaceAll: (re, repl, text) =>
    goValue(text).replace(
      goRegexp(goValue(re)),
      goValue(repl).replace(/\$\{?(\w+)\}?/g, (_m, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`)),
    ),
  match: (re, text) => new RegExp(goValue(re).replace(/\(\?P</g, '(?<')).test(goValue(text)),
  safeHtml: (s) => goValue(s),
  len: (v) => (typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  index: (m, k) => (m && typeof m === 'object' ? (m as Record<string, unknown>)[goValue(k)] : undefined),
  not: (v) => !truth(v),
  and: (...a) => a.find((v) => !truth(v)) ?? a[a.length - 1],
  or: (...a) => a.find((v) => truth(v)) ?? a[a.length - 1],
  eq: (a, b) => compare('eq', a, b),
  ne: (a, b) => compare('ne', a, b),
  lt: (a, b) => compare('lt', a, b),
  le: (a, b) => compare('le', a, b),
  gt: (a, b) => compare('gt', a, b),
  ge: (a, b) => compare('ge', a, b),
};

/** Functions of Prometheus's template package that need a query engine or a URL parser: refused at load time. */
const knownNames = new Set(Object.keys(functions));

class Scope {
  readonly vars: Map<string, unknown>;
  constructor(
    readonly dot: unknown,
    vars: Map<string, unknown>,
  ) {
    this.vars = vars;
  }
}

/** The template's data (a struct in Prometheus: its fields, unlike a map's keys, have no zero value to fall back on). */
class TemplateDot {
  constructor(
    readonly Labels: Readonly<Record<string, string>>,
    readonly ExternalLabels: Readonly<Record<string, string>>,
    readonly ExternalURL: string,
    readonly Value: number,
  ) {}
}

/** A map's missing key reads as its zero value "", as Prometheus expands alert templates (`missingkey=zero`). */
function field(v: unknown, name: string): unknown {
  if (v instanceof TemplateDot) return Object.hasOwn(v, name) ? (v as unknown as Record<string, unknown>)[name] : undefined;
  if (v && typeof v === 'object') return Object.hasOwn(v, name) ? (v as Record<string, unknown>)[name] : '';
  throw new TemplateError(`can't evaluate field ${name} in type ${typeof v}`);
}

export class Template {
  readonly #nodes: Node[];
  readonly source: string;

  /** Parses `src`; throws TemplateError naming the line and the problem. */
  constructor(src: string) {
    this.source = src;
    this.#nodes = src.includes('{{') ? parseTemplate(src, knownNames) : [{ kind: 'text', text: src }];
  }

  expand(data: TemplateData): string {
    if (this.#nodes.length === 1 && this.#nodes[0]!.kind === 'text') return this.#nodes[0].text;
    const dot = new TemplateDot(data.labels, data.externalLabels, data.externalUrl, data.value);
    const vars = new Map<string, unknown>([
      ['$', dot],
      ['$labels', data.labels],
      ['$externalLabels', data.externalLabels],
      ['$externalURL', data.externalUrl],
      ['$value', data.value],
    ]);
    try {
      const out: string[] = [];
      this.#run(this.#nodes, new Scope(dot, vars), out);
      return out.join('');
    } catch (err) {
      return `<error expanding template: ${err instanceof Error ? err.message : String(err)}>`;
    }
  }

  #run(nodes: readonly Node[], scope: Scope, out: string[]): void {
    for (const n of nodes) {
      if (n.kind === 'text') out.push(n.text);
      else if (n.kind === 'action') {
        const v = this.#pipe(n.pipe, scope);
        if (!n.pipe.decl) out.push(goValue(v));
      } else {
        const v = this.#pipe(n.pipe, scope);
        if (truth(v)) this.#run(n.then, n.kind === 'with' ? new Scope(v, scope.vars) : scope, out);
        else this.#run(n.else, scope, out);
      }
    }
  }

  #pipe(pipe: Pipeline, scope: Scope): unknown {
    let prev: unknown;
    let first = true;
    for (const cmd of pipe.cmds) {
      const [head, ...rest] = cmd.args;
      const args = rest.map((a) => this.#operand(a, scope));
      if (!first) args.push(prev);
      if (head!.kind === 'ident') {
        const fn = functions[head!.name]!;
        try {
          prev = fn(...args);
        } catch (err) {
          throw new TemplateError(`error calling ${head!.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      } else {
        if (args.length > 0) throw new TemplateError(`can't give argument to non-function ${describe(head!)}`);
        prev = this.#operand(head!, scope);
      }
      first = false;
    }
    if (pipe.decl) scope.vars.set(pipe.decl, prev);
    return prev;
  }

  #operand(a: Operand, scope: Scope): unknown {
    switch (a.kind) {
      case 'lit':
        return a.value;
      case 'ident':
        return functions[a.name]!();
      case 'var':
        return a.fields.reduce(field, scope.vars.get(a.name));
      case 'dot':
        return a.fields.reduce(field, scope.dot);
      case 'paren':
        return a.fields.reduce(field, this.#pipe(a.pipe, scope));
    }
  }
}

function describe(o: Operand): string {
  return o.kind === 'var' ? o.name : o.kind === 'lit' ? JSON.stringify(o.value) : o.kind;
}
