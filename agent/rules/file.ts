/**
 * Prometheus rule files (rulefmt), read unchanged: `groups:` of `name`, `interval`, `limit`, `query_offset` and
 * `rules:`, each rule a `record:` or an `alert:` with `expr`, `for`, `keep_firing_for`, `labels` and `annotations`.
 * Every problem of a file is collected, with its line and column, in promtool's words where it has them; unknown
 * fields are errors (Prometheus reads these files strictly).
 */
import type * as Yaml from 'yaml';
import type { Node as YamlNode, YAMLMap } from 'yaml';
import { yaml } from '../config/yaml';

const isMap = (n: unknown): n is YAMLMap => yaml().isMap(n);
const isScalar = (n: unknown): n is Yaml.Scalar => yaml().isScalar(n);
const isSeq = (n: unknown): n is Yaml.YAMLSeq => yaml().isSeq(n);
import type { CompiledQuery } from '../query/types';
import { parseDuration } from './duration';
import { Template, TemplateError } from './template';

export interface RuleSpec {
  kind: 'recording' | 'alerting';
  /** The `record:` or `alert:` name. */
  name: string;
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The checked expression (present when the file was loaded with an engine). */
  query?: CompiledQuery;
  /** Alert label and annotation templates, parsed. */
  labelTemplates: Map<string, Template>;
  annotationTemplates: Map<string, Template>;
}

export interface GroupSpec {
  file: string;
  name: string;
  /** undefined: the global rules.evaluation_interval. */
  intervalMs: number | undefined;
  limit: number;
  queryOffsetMs: number;
  rules: RuleSpec[];
}

export interface RuleProblem {
  file: string;
  line?: number;
  col?: number;
  message: string;
}

export type Compile = (expr: string) => CompiledQuery;

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const groupFields = new Set(['name', 'interval', 'limit', 'query_offset', 'rules', 'labels']);
const ruleFields = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

export function formatProblem(p: RuleProblem): string {
  return `${p.file}:${p.line !== undefined ? `${p.line}:${p.col ?? 1}: ` : ' '}${p.message}`;
}

/** Parses and checks one rule file's text; `compile` checks (and keeps) each expression. */
export function parseRuleFile(file: string, text: string, compile?: Compile): { groups: GroupSpec[]; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const { LineCounter, parseDocument } = yaml();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (node: YamlNode | null | undefined): { line?: number; col?: number } => {
    const off = node?.range?.[0];
    if (off === undefined) return {};
    const p = lc.linePos(off);
    return { line: p.line, col: p.col };
  };
  const problem = (node: YamlNode | null | undefined, message: string) => problems.push({ file, ...at(node), message });
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    problems.push({ file, line: p.line, col: p.col, message: `yaml: ${e.message.split('\n')[0]}` });
  }
  if (problems.length > 0) return { groups: [], problems };
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { groups: [], problems };
  if (!isMap(root)) {
    problem(root, 'yaml: a rule file is a map with a "groups" list');
    return { groups: [], problems };
  }
  for (const pair of root.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    if (k !== 'groups') problem(pair.key as YamlNode, `field ${k} not found in type rulefmt.RuleGroups`);
  }
  const groupsNode = root.get('groups', true);
  if (groupsNode === undefined || (isScalar(groupsNode) && groupsNode.value === null)) return { groups: [], problems };
  if (!isSeq(groupsNode)) {
    problem(groupsNode as YamlNode, '"groups" must be a list');
    return { groups: [], problems };
  }
  const groups: GroupSpec[] = [];
  const seen = new Set<string>();
  for (const g of groupsNode.items) {
    if (!isMap(g)) {
      problem(g as YamlNode, 'a group must be a map');
      continue;
    }
    const spec = parseGroup(file, g, problem, compile);
    if (spec.name === '') problem(g, 'Groupname must not be empty');
    else if (seen.has(spec.name)) problem(g, `groupname: "${spec.name}" is repeated in the same file`);
    seen.add(spec.name);
    groups.push(spec);
  }
  return { groups, problems };
}

type Problem = (node: YamlNode | null | undefined, message: string) => void;

function scalarString(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return v === null ? '' : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function stringMap(node: unknown, what: string, problem: Problem): Record<string, string> {
  const out: Record<string, string> = {};
  if (node === undefined || (isScalar(node) && node.value === null)) return out;
  if (!isMap(node)) {
    problem(node as YamlNode, `${what} must be a map of strings`);
    return out;
  }
  for (const p of node.items) {
    const k = scalarString(p.key);
    const v = scalarString(p.value);
    if (k === undefined || v === undefined) problem((p.value ?? p.key) as YamlNode, `${what} must be a map of strings`);
    else out[k] = v;
  }
  return out;
}

function durationField(map: YAMLMap, key: string, problem: Problem): number | undefined {
  const node = map.get(key, true);
  if (node === undefined) return undefined;
  const s = scalarString(node);
  const ms = s === undefined ? undefined : parseDuration(s);
  if (ms === undefined) problem(node as YamlNode, `not a valid duration string: ${JSON.stringify(s ?? '')}`);
  return ms;
}

function parseGroup(file: string, g: YAMLMap, problem: Problem, compile?: Compile): GroupSpec {
  for (const p of g.items) {
    const k = scalarString(p.key) ?? '';
    if (!groupFields.has(k)) problem(p.key as YamlNode, `field ${k} not found in type rulefmt.RuleGroup`);
  }
  const name = scalarString(g.get('name', true)) ?? '';
  const limitNode = g.get('limit', true);
  let limit = 0;
  if (limitNode !== undefined) {
    const s = scalarString(limitNode);
    if (s === undefined || !/^\d+$/.test(s)) problem(limitNode as YamlNode, `limit must be a non-negative integer, not ${JSON.stringify(s ?? '')}`);
    else limit = Number(s);
  }
  const intervalMs = durationField(g, 'interval', problem);
  if (intervalMs === 0) problem(g.get('interval', true) as YamlNode, 'interval must be greater than zero');
  const spec: GroupSpec = { file, name, intervalMs: intervalMs === 0 ? undefined : intervalMs, limit, queryOffsetMs: durationField(g, 'query_offset', problem) ?? 0, rules: [] };
  const rulesNode = g.get('rules', true);
  if (rulesNode === undefined || (isScalar(rulesNode) && rulesNode.value === null)) return spec;
  if (!isSeq(rulesNode)) {
    problem(rulesNode as YamlNode, `group "${name}": "rules" must be a list`);
    return spec;
  }
  rulesNode.items.forEach((r, i) => {
    if (!isMap(r)) {
      problem(r as YamlNode, `group "${name}", rule ${i + 1}: a rule must be a map`);
      return;
    }
    const rule = parseRule(r, (node, msg) => problem(node ?? r, `group "${name}", rule ${i + 1}, ${JSON.stringify(ruleName(r))}: ${msg}`), compile);
    if (rule) spec.rules.push(rule);
  });
  return spec;
}

function ruleName(r: YAMLMap): string {
  return scalarString(r.get('record', true)) ?? scalarString(r.get('alert', true)) ?? '';
}

function parseRule(r: YAMLMap, problem: Problem, compile?: Compile): RuleSpec | undefined {
  let found = 0;
  const counted: Problem = (n, m) => {
    found++;
    problem(n, m);
  };
  for (const p of r.items) {
    const k = scalarString(p.key) ?? '';
    if (!ruleFields.has(k)) counted(p.key as YamlNode, `field ${k} not found in type rulefmt.Rule`);
  }
  const record = scalarString(r.get('record', true));
  const alert = scalarString(r.get('alert', true));
  const exprNode = r.get('expr', true);
  const expr = scalarString(exprNode) ?? '';
  if (record !== undefined && alert !== undefined) counted(undefined, "only one of 'record' and 'alert' must be set");
  if (record === undefined && alert === undefined) counted(undefined, "one of 'record' or 'alert' must be set");
  if (expr.trim() === '') counted(exprNode as YamlNode, "field 'expr' must be set in rule");
  const kind = record !== undefined ? 'recording' : 'alerting';
  const name = record ?? alert ?? '';
  const forMs = durationField(r, 'for', counted) ?? 0;
  const keepFiringForMs = durationField(r, 'keep_firing_for', counted) ?? 0;
  const labels = stringMap(r.get('labels', true), 'labels', counted);
  const annotations = stringMap(r.get('annotations', true), 'annotations', counted);
  if (kind === 'recording') {
    if (Object.keys(annotations).length > 0) counted(undefined, "invalid field 'annotations' in recording rule");
    if (forMs !== 0) counted(undefined, "invalid field 'for' in recording rule");
    if (keepFiringForMs !== 0) counted(undefined, "invalid field 'keep_firing_for' in recording rule");
    if (!metricName.test(name)) counted(undefined, `invalid recording rule name: ${name}`);
  } else if (alert === '') counted(undefined, 'alert name must not be empty');
  for (const k of Object.keys(labels)) {
    if (!labelName.test(k) || (k.startsWith('__') && k !== '__name__')) counted(undefined, `invalid label name: ${k}`);
    if (k === '__name__') counted(undefined, 'invalid label name: __name__ (the name comes from record: or alert:)');
  }
  for (const k of Object.keys(annotations)) if (!labelName.test(k)) counted(undefined, `invalid annotation name: ${k}`);
  const labelTemplates = new Map<string, Template>();
  const annotationTemplates = new Map<string, Template>();
  if (kind === 'alerting') {
    const check = (what: string, src: Record<string, string>, into: Map<string, Template>) => {
      for (const [k, v] of Object.entries(src)) {
        try {
          into.set(k, new Template(v));
        } catch (err) {
          counted(undefined, `template: __alert_${name}:${err instanceof TemplateError ? err.message : String(err)} (${what} ${k})`);
        }
      }
    };
    check('label', labels, labelTemplates);
    check('annotation', annotations, annotationTemplates);
  }
  let query: CompiledQuery | undefined;
  if (compile && expr.trim() !== '') {
    try {
      query = compile(expr);
      if (query.valueType !== 'vector' && query.valueType !== 'scalar')
        counted(exprNode as YamlNode, `invalid rule expression: the expression must be of type vector or scalar, got ${query.valueType}`);
    } catch (err) {
      counted(exprNode as YamlNode, `could not parse expression: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (found > 0) return undefined;
  return { kind, name, expr, forMs, keepFiringForMs, labels, annotations, ...(query ? { query } : {}), labelTemplates, annotationTemplates };
}
