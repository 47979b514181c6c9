/**
 * PromQL text → the engine's syntax tree (ast.ts). The text is parsed with the Prometheus team's grammar
 * (@prometheus-io/lezer-promql); this module walks its concrete tree, decodes literals and checks types the way
 * Prometheus's parser does. A syntax error, a type error and a construct the engine does not evaluate are all refused
 * here, with an OutriderError naming the construct and its position.
 */
import type * as LezerPromql from '@prometheus-io/lezer-promql';
import { OutriderError } from '../core/errors';
import type { LabelMatcher, MatchType } from '../history/types';
import { comparisonOps, setOps, typeOf, type AggregateOp, type AtSpec, type BinaryOp, type Expr, type MatrixSelector, type VectorMatching, type VectorSelector } from './ast';
import { parseDurationMs, parseNumber, parseString } from './literals';
import { signatures } from './signatures';
import { aggregateOps, goRegex, matchesEmpty, typeName, unknownFunction } from './syntax';

export const parseErrorCode = 'OUTRIDER_ERR_QUERY_PARSE';
export const unsupportedCode = 'OUTRIDER_ERR_QUERY_UNSUPPORTED';

type SyntaxNode = ReturnType<typeof LezerPromql.parser.parse>['topNode'];

// The grammar's parser is loaded with the first query: an agent nobody queries does not hold it (bench/README.md,
// "Idle RSS: where it goes").
let parser: typeof LezerPromql.parser | undefined;

const binaryOpNodes: Readonly<Record<string, BinaryOp>> = {
  Add: '+',
  Sub: '-',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Pow: '^',
  Atan2: 'atan2',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};
const matchOps: Readonly<Record<string, MatchType>> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };
const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

class Walker {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  src(n: SyntaxNode): string {
    return this.#text.slice(n.from, n.to);
  }

  where(pos: number): string {
    const before = this.#text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return `${line}:${col}`;
  }

  fail(n: SyntaxNode | number, message: string, code = parseErrorCode): never {
    const pos = typeof n === 'number' ? n : n.from;
    throw new OutriderError(code, `${this.where(pos)}: ${message}`, { position: pos, expr: this.#text });
  }

  unsupported(n: SyntaxNode, what: string): never {
    this.fail(n, `${what} is not supported by this engine (${JSON.stringify(this.src(n).slice(0, 60))})`, unsupportedCode);
  }

  children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  expr(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'ParenExpr':
        return this.expr(this.only(n));
      case 'NumberDurationLiteral': {
        const v = parseNumber(this.src(n));
        if (v === undefined) this.fail(n, `bad number ${JSON.stringify(this.src(n))}`);
        return { kind: 'number', value: v };
      }
      case 'StringLiteral':
        return { kind: 'string', value: this.string(n) };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector':
        return this.matrixSelector(n);
      case 'SubqueryExpr':
        return this.subquery(n);
      case 'OffsetExpr':
        return this.offset(n);
      case 'StepInvariantExpr':
        return this.at(n);
      case 'UnaryExpr':
        return this.unary(n);
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      default:
        return this.unsupported(n, `the construct ${n.name}`);
    }
  }

  only(n: SyntaxNode): SyntaxNode {
    const c = n.firstChild;
    if (!c) this.fail(n, 'empty expression');
    return c;
  }

  string(n: SyntaxNode): string {
    try {
      return parseString(this.src(n));
    } catch (err) {
      return this.fail(n, (err as Error).message);
    }
  }

  duration(n: SyntaxNode, what: string): number {
    if (n.name === 'DurationExpr' || n.name === 'OffsetDurationExpr') {
      const kids = this.children(n);
      if (kids.length === 1) return this.duration(kids[0]!, what);
      if (kids.length === 2 && kids[0]!.name === 'UnaryOp' && what === 'offset') {
        const v = this.duration(kids[1]!, what);
        return this.src(kids[0]!) === '-' ? -v : v;
      }
      return this.unsupported(n, `a computed ${what} duration`);
    }
    if (n.name !== 'NumberDurationLiteralInDurationContext' && n.name !== 'NumberDurationLiteral') this.unsupported(n, `a ${what} of ${n.name}`);
    const ms = parseDurationMs(this.src(n));
    if (ms === undefined) this.fail(n, `bad duration ${JSON.stringify(this.src(n))}`);
    return ms;
  }

  vectorSelector(n: SyntaxNode): VectorSelector {
    const matchers: LabelMatcher[] = [];
    for (const c of this.children(n)) {
      if (c.name === 'Identifier') matchers.push({ name: '__name__', type: '=', value: this.src(c) });
      else if (c.name === 'LabelMatchers') {
        for (const m of this.children(c)) {
          if (m.type.isError) this.fail(m, 'unexpected character in label matchers');
          if (m.name === 'QuotedLabelName') matchers.push({ name: '__name__', type: '=', value: this.string(this.only(m)) });
          else matchers.push(this.matcher(m));
        }
      } else this.unsupported(c, `${c.name} in a selector`);
    }
    if (matchers.length === 0) this.fail(n, 'vector selector must contain at least one label matcher');
    if (matchers.every((m) => matchesEmpty(m))) this.fail(n, 'vector selector must contain at least one non-empty matcher');
    return { kind: 'vector', matchers, offsetMs: 0 };
  }

  matcher(m: SyntaxNode): LabelMatcher {
    const kids = this.children(m);
    const [nameNode, opNode, valueNode] = kids;
    if (!nameNode || !opNode || !valueNode) this.fail(m, 'incomplete label matcher');
    const name = nameNode.name === 'LabelName' ? this.src(nameNode) : nameNode.name === 'QuotedLabelName' ? this.string(this.only(nameNode)) : this.string(nameNode);
    const type = matchOps[this.only(opNode).name];
    if (!type) this.fail(opNode, `unknown match operator ${this.src(opNode)}`);
    const value = this.string(valueNode);
    if (type === '=~' || type === '!~') {
      try {
        new RegExp(`^(?:${value})$`);
      } catch (err) {
        this.fail(valueNode, `invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message}`);
      }
    }
    return { name, type, value };
  }

  matrixSelector(n: SyntaxNode): MatrixSelector {
    const [inner, dur] = this.children(n);
    if (!inner || !dur) this.fail(n, 'incomplete range selector');
    if (inner.name !== 'VectorSelector') this.fail(inner, `ranges only allowed for vector selectors`);
    const rangeMs = this.duration(dur, 'range');
    if (rangeMs <= 0) this.fail(dur, 'range must be positive');
    return { kind: 'matrix', vector: this.vectorSelector(inner), rangeMs };
  }

  subquery(n: SyntaxNode): Expr {
    const [inner, range, step] = this.children(n);
    if (!inner || !range) this.fail(n, 'incomplete subquery');
    // The grammar reads `a - b[5m:]` as (a - b)[5m:]; Prometheus as a - (b[5m:]), a binary operation on a range vector.
    if (inner.name === 'BinaryExpr' || inner.name === 'UnaryExpr') this.fail(n, 'binary expression must contain only scalar and instant vector types');
    const expr = this.expr(inner);
    if (typeOf(expr) !== 'vector') this.fail(inner, `subquery is only allowed on instant vector, got ${typeOf(expr)}`);
    const rangeMs = this.duration(range, 'range');
    const stepMs = step ? this.duration(step, 'step') : undefined;
    if (rangeMs <= 0 || (stepMs !== undefined && stepMs <= 0)) this.fail(range, 'subquery range and step must be positive');
    return stepMs === undefined ? { kind: 'subquery', expr, rangeMs, offsetMs: 0 } : { kind: 'subquery', expr, rangeMs, stepMs, offsetMs: 0 };
  }

  offset(n: SyntaxNode): Expr {
    const kids = this.children(n);
    if (kids[0]!.name === 'ParenExpr') this.fail(kids[0]!, 'offset and @ modifiers must follow a selector or a subquery');
    const inner = this.expr(kids[0]!);
    const durNode = kids[kids.length - 1]!;
    const offsetMs = this.duration(durNode, 'offset');
    return this.modify(kids[0]!, inner, (sel) => {
      if (sel.offsetMs !== 0) this.fail(durNode, 'offset may not be set multiple times');
      return { ...sel, offsetMs };
    });
  }

  at(n: SyntaxNode): Expr {
    const kids = this.children(n);
    if (kids[0]!.name === 'ParenExpr') this.fail(kids[0]!, 'offset and @ modifiers must follow a selector or a subquery');
    const inner = this.expr(kids[0]!);
    const last = kids[kids.length - 1]!;
    let at: AtSpec;
    if (last.name === 'AtModifierPreprocessors') at = { kind: this.only(last).name === 'AtStart' ? 'start' : 'end' };
    else {
      const secs = parseNumber(this.src(last));
      if (secs === undefined || !Number.isFinite(secs)) this.fail(last, `bad @ time ${JSON.stringify(this.src(last))}`);
      at = { kind: 'time', ms: Math.round(secs * 1000) };
    }
    return this.modify(kids[0]!, inner, (sel) => {
      if (sel.at) this.fail(last, '@ may not be set multiple times');
      return { ...sel, at };
    });
  }

  /** Applies an offset or @ to the selector or subquery it follows (a range selector's offset is its vector's). */
  modify(node: SyntaxNode, e: Expr, f: <T extends VectorSelector | { offsetMs: number; at?: AtSpec }>(sel: T) => T): Expr {
    if (e.kind === 'vector') return f(e);
    if (e.kind === 'matrix') return { ...e, vector: f(e.vector) };
    if (e.kind === 'subquery') return f(e);
    // The grammar can hang a trailing `@ start()` on a whole binary expression; Prometheus binds it to the last operand.
    if (e.kind === 'binary') return { ...e, rhs: this.modify(node, e.rhs, f) };
    if (e.kind === 'unary') return { ...e, expr: this.modify(node, e.expr, f) };
    return this.fail(node, 'offset and @ modifiers must follow a selector or a subquery');
  }

  unary(n: SyntaxNode): Expr {
    const [opNode, inner] = this.children(n);
    const expr = this.expr(inner!);
    const t = typeOf(expr);
    if (t !== 'scalar' && t !== 'vector') this.fail(n, `unary expression only allowed on expressions of type scalar or instant vector, got ${t}`);
    const op = this.src(opNode!) === '-' ? '-' : '+';
    if (expr.kind === 'number') return { kind: 'number', value: op === '-' ? -expr.value : expr.value };
    return op === '+' ? expr : { kind: 'unary', op, expr };
  }

  call(n: SyntaxNode): Expr {
    const [ident, body] = this.children(n);
    const name = this.src(ident!);
    const sig = signatures[name];
    if (!sig) this.unsupported(ident!, `the function ${name}()`);
    const args = body ? this.children(body).map((a) => this.expr(a)) : [];
    const min = sig.args.length - (sig.optional ?? 0);
    if (args.length < min || (!sig.variadic && args.length > sig.args.length)) {
      this.fail(n, `expected ${min === sig.args.length ? min : `${min} to ${sig.args.length}`} argument(s) in call to "${name}", got ${args.length}`);
    }
    args.forEach((a, i) => {
      const want = sig.args[Math.min(i, sig.args.length - 1)]!;
      const got = typeOf(a);
      if (got !== want) this.fail(n, `expected type ${typeName(want)} in call to function "${name}", got ${typeName(got)}`);
    });
    if (name === 'label_replace' || name === 'label_join') {
      const dst = (args[1] as { value: string }).value;
      if (!labelNameRe.test(dst)) this.fail(n, `invalid destination label name in ${name}(): ${JSON.stringify(dst)}`);
    }
    if (name === 'label_replace') {
      const re = (args[4] as { value: string }).value;
      try {
        new RegExp(`^(?:${goRegex(re)})$`);
      } catch (err) {
        this.fail(n, `invalid regular expression in label_replace(): ${JSON.stringify(re)}: ${(err as Error).message}`);
      }
    }
    return { kind: 'call', name, args };
  }

  aggregate(n: SyntaxNode): Expr {
    let op: AggregateOp | undefined;
    let grouping: string[] = [];
    let without = false;
    let args: Expr[] = [];
    for (const c of this.children(n)) {
      if (c.name === 'AggregateOp') {
        const name = this.src(c);
        if (!aggregateOps.has(name)) this.unsupported(c, `the aggregation ${name}`);
        op = name as AggregateOp;
      } else if (c.name === 'AggregateModifier') {
        const [kw, labels] = this.children(c);
        without = kw!.name === 'Without';
        grouping = labels ? this.labelList(labels) : [];
      } else if (c.name === 'FunctionCallBody') {
        args = this.children(c).map((a) => this.expr(a));
      } else this.unsupported(c, `${c.name} in an aggregation`);
    }
    if (!op) this.fail(n, 'aggregation without an operator');
    const needsParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values';
    if (args.length !== (needsParam ? 2 : 1)) this.fail(n, `wrong number of arguments for aggregate expression provided, expected ${needsParam ? 2 : 1}, got ${args.length}`);
    const expr = args[args.length - 1]!;
    if (typeOf(expr) !== 'vector') this.fail(n, `expected type instant vector in aggregation expression, got ${typeName(typeOf(expr))}`);
    const param = needsParam ? args[0]! : undefined;
    if (param) {
      const want = op === 'count_values' ? 'string' : 'scalar';
      if (typeOf(param) !== want) this.fail(n, `expected type ${typeName(want)} in aggregation parameter, got ${typeName(typeOf(param))}`);
      if (op === 'count_values' && !labelNameRe.test((param as { value: string }).value)) this.fail(n, `invalid label name ${JSON.stringify((param as { value: string }).value)}`);
    }
    return param ? { kind: 'aggregate', op, param, expr, grouping, without } : { kind: 'aggregate', op, expr, grouping, without };
  }

  labelList(n: SyntaxNode): string[] {
    return this.children(n).map((l) => (l.name === 'QuotedLabelName' ? this.string(this.only(l)) : this.src(l)));
  }

  binary(n: SyntaxNode): Expr {
    const kids = this.children(n);
    // The grammar reads `-2 ^ 2` as (-2) ^ 2; Prometheus binds the sign looser than ^: -(2 ^ 2).
    const signed = kids[0]!.name === 'NumberDurationLiteral' && /^[-+]/.test(this.src(kids[0]!)) && kids[1]!.name === 'Pow';
    if (signed) {
      const inner = this.binaryFrom(kids, { kind: 'number', value: Math.abs(parseNumber(this.src(kids[0]!))!) });
      if (this.src(kids[0]!).startsWith('+')) return inner;
      return inner.kind === 'number' ? { kind: 'number', value: -inner.value } : { kind: 'unary', op: '-', expr: inner };
    }
    return this.binaryFrom(kids, this.expr(kids[0]!));
  }

  binaryFrom(kids: SyntaxNode[], lhs: Expr): Expr {
    const n = kids[0]!.parent!;
    const rhs = this.expr(kids[kids.length - 1]!);
    let op: BinaryOp | undefined;
    let bool = false;
    let on = false;
    let hasMatching = false;
    let labels: string[] = [];
    let include: string[] = [];
    let card: VectorMatching['card'] = 'one-to-one';
    for (const c of kids.slice(1, -1)) {
      if (binaryOpNodes[c.name]) op = binaryOpNodes[c.name];
      else if (c.name === 'BoolModifier') bool = true;
      else if (c.name === 'MatchingModifierClause') {
        hasMatching = true;
        for (const m of this.children(c)) {
          if (m.name === 'On') on = true;
          else if (m.name === 'Ignoring') on = false;
          else if (m.name === 'GroupLeft') card = 'many-to-one';
          else if (m.name === 'GroupRight') card = 'one-to-many';
          else if (m.name === 'GroupingLabels') {
            if (m.prevSibling && (m.prevSibling.name === 'GroupLeft' || m.prevSibling.name === 'GroupRight')) include = this.labelList(m);
            else labels = this.labelList(m);
          } else this.unsupported(m, `${m.name} in vector matching`);
        }
      } else this.unsupported(c, `the binary modifier ${c.name}`);
    }
    if (!op) this.fail(n, 'binary expression without an operator');
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    for (const [t, side] of [
      [lt, kids[0]!],
      [rt, kids[kids.length - 1]!],
    ] as const) {
      if (t !== 'scalar' && t !== 'vector') this.fail(side, `binary expression must contain only scalar and instant vector types`);
    }
    const isComparison = comparisonOps.has(op);
    if (bool && !isComparison) this.fail(n, 'bool modifier can only be used on comparison operators');
    if (isComparison && !bool && lt === 'scalar' && rt === 'scalar') this.fail(n, 'comparisons between scalars must use BOOL modifier');
    if (setOps.has(op)) {
      if (lt !== 'vector' || rt !== 'vector') this.fail(n, `set operator "${op}" not allowed in binary scalar expression`);
      if (card !== 'one-to-one') this.fail(n, `no grouping allowed for "${op}" operation`);
      card = 'many-to-many';
    }
    if (hasMatching && (lt !== 'vector' || rt !== 'vector')) this.fail(n, 'vector matching only allowed between instant vectors');
    if (card === 'many-to-one' || card === 'one-to-many') {
      for (const l of include) if (on && labels.includes(l)) this.fail(n, `label "${l}" must not occur in ON and GROUP clause at once`);
    }
    const matching = lt === 'vector' && rt === 'vector' ? { card, on, labels, include } : undefined;
    return matching ? { kind: 'binary', op, lhs, rhs, bool, matching } : { kind: 'binary', op, lhs, rhs, bool };
  }
}

/** Parses and checks `text`; throws an OutriderError naming the position of the first problem. */
export function parseExpr(text: string): Expr {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  parser ??= (require('@prometheus-io/lezer-promql') as typeof LezerPromql).parser;
  const tree = parser.parse(text);
  const w = new Walker(text);
  let firstError: number | undefined;
  tree.iterate({
    enter(n) {
      if (n.type.isError && firstError === undefined) firstError = n.from;
      return firstError === undefined;
    },
  });
  if (firstError !== undefined) {
    const unknown = unknownFunction(text);
    if (unknown) w.fail(unknown.pos, `the function ${unknown.name}() is not supported by this engine`, unsupportedCode);
    w.fail(firstError, `syntax error near ${JSON.stringify(text.slice(Math.max(0, firstError - 10), firstError + 10))}`);
  }
  const top = tree.topNode.firstChild;
  if (!top) return w.fail(0, 'no expression found in input');
  if (top.nextSibling) w.fail(top.nextSibling, 'unexpected text after the expression');
  return w.expr(top);
}
