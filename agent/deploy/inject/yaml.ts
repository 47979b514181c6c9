/**
 * Injection into manifest text. Multi-document YAML is split with the `yaml` package's Document API; a document
 * with nothing to inject is copied through byte for byte, and one that changes is edited in place as a syntax
 * tree (comments, key order, quoting and the sequence indentation style are kept) and printed again. A JSON
 * object on its own (`kubectl get -o json`) comes back as indented JSON.
 */
import { Document, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { InjectOptions } from './options';
import { AddOp, planObject, TemplateResult } from './plan';

export interface TextResult {
  output: string;
  results: TemplateResult[];
  /** Documents that are not valid YAML (copied through unchanged). */
  errors: string[];
}

/** Guesses the writer's style so that a changed document still looks like its neighbours. */
function styleOf(text: string): { indentSeq: boolean; indent: number } {
  // kubectl and many charts write "key:\n- item" (sequence at the key's indentation).
  const flush = /^( *)[^ \n#-][^\n]*:[ \t]*(#[^\n]*)?\n\1- /m.test(text);
  const nested = /^([^ \n#][^\n]*):[ \t]*\n( +)[^ \n#-]/m.exec(text);
  const indent = nested ? Math.min(Math.max(nested[2]!.length, 2), 8) : 2;
  return { indentSeq: !flush, indent };
}

function applyOp(doc: Document, op: AddOp): void {
  const last = op.path[op.path.length - 1];
  const node = doc.createNode(op.value);
  if (last === '-' || typeof last === 'number') {
    const seq = doc.getIn(op.path.slice(0, -1), true);
    if (!isSeq(seq)) throw new Error(`expected a sequence at ${op.path.slice(0, -1).join('.')}`);
    if (last === '-') seq.items.push(node);
    else seq.items.splice(last, 0, node);
  } else if (last === 'metadata') {
    // A pod template without metadata gets it where people write it: before its spec.
    const parent = op.path.length > 1 ? doc.getIn(op.path.slice(0, -1), true) : doc.contents;
    const index = (k: string) => (isMap(parent) ? parent.items.findIndex((p) => isScalar(p.key) && p.key.value === k) : -1);
    const at = index('spec');
    if (isMap(parent) && at >= 0 && index('metadata') < 0) parent.items.splice(at, 0, doc.createPair('metadata', op.value));
    else doc.setIn(op.path, node);
  } else {
    doc.setIn(op.path, node);
  }
}

function applyJson(obj: unknown, op: AddOp): void {
  let cur = obj as Record<string | number, unknown>;
  for (const seg of op.path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  const last = op.path[op.path.length - 1]!;
  if (Array.isArray(cur) && last === '-') cur.push(op.value);
  else if (Array.isArray(cur) && typeof last === 'number') cur.splice(last, 0, op.value);
  else cur[last] = op.value;
}

export function injectText(text: string, opts: InjectOptions, source = '<stdin>'): TextResult {
  if (/^\s*\{/.test(text)) {
    try {
      const obj = JSON.parse(text) as unknown;
      const plan = planObject(obj, opts);
      if (plan.ops.length === 0) return { output: text, results: plan.results, errors: [] };
      for (const op of plan.ops) applyJson(obj, op);
      return { output: JSON.stringify(obj, null, 2) + '\n', results: plan.results, errors: [] };
    } catch {
      /* not JSON after all: read it as YAML (a flow mapping) */
    }
  }
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  if (!Array.isArray(docs)) return { output: text, results: [], errors: [] };
  const results: TemplateResult[] = [];
  const errors: string[] = [];
  let output = '';
  docs.forEach((doc, i) => {
    const start = i === 0 ? 0 : doc.range[0];
    const end = i + 1 < docs.length ? docs[i + 1]!.range[0] : text.length;
    const segment = text.slice(start, end);
    if (doc.errors.length > 0) {
      errors.push(`${source}: document ${i + 1}: not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); copied unchanged`);
      output += segment;
      return;
    }
    const plan = planObject(doc.toJS({ maxAliasCount: 100 }), opts);
    results.push(...plan.results);
    if (plan.ops.length === 0) {
      output += segment;
      return;
    }
    try {
      for (const op of plan.ops) applyOp(doc, op);
    } catch (err) {
      // e.g. a containers list that is a YAML alias: leave the document as written rather than guess.
      errors.push(`${source}: document ${i + 1}: cannot edit (${(err as Error).message}); copied unchanged`);
      for (const r of plan.results) if (r.status === 'injected') Object.assign(r, { status: 'error', problems: [`cannot edit this document (${(err as Error).message})`] });
      output += segment;
      return;
    }
    const style = styleOf(segment);
    let printed = doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq: style.indentSeq, indent: style.indent });
    // Keep the blank lines that separated this document from the next one.
    const trailing = /\n*$/.exec(segment)![0];
    printed = printed.replace(/\n*$/, '') + (trailing || '\n');
    output += printed;
  });
  return { output, results, errors };
}
