import t from 'tap';
import { formatProblem, parseRuleFile } from '../../agent/rules/file';
import { FakeEngine } from './fake-engine';

const engine = new FakeEngine();
const compile = (e: string) => engine.compile(e);

const good = `groups:
  - name: node
    interval: 30s
    limit: 10
    rules:
      - record: instance:node_cpus:count
        expr: count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})
        labels:
          team: infra
      - alert: NodeFilesystemAlmostOutOfSpace
        expr: node_filesystem_avail_bytes < 1
        for: 30m
        keep_firing_for: 5m
        labels:
          severity: warning
        annotations:
          summary: Filesystem has less than 5% space left.
          description: 'Filesystem on {{ $labels.device }} has only {{ printf "%.2f" $value }}% left.'
`;

t.test('a good file: groups, intervals, limits, both kinds of rules', async (t) => {
  const { groups, problems } = parseRuleFile('good.yml', good, compile);
  t.same(problems, []);
  t.equal(groups.length, 1);
  const g = groups[0]!;
  t.equal(g.name, 'node');
  t.equal(g.intervalMs, 30_000);
  t.equal(g.limit, 10);
  t.equal(g.rules[0]!.kind, 'recording');
  t.same(g.rules[0]!.labels, { team: 'infra' });
  const a = g.rules[1]!;
  t.equal(a.kind, 'alerting');
  t.equal(a.forMs, 30 * 60_000);
  t.equal(a.keepFiringForMs, 5 * 60_000);
  t.ok(a.query, 'the expression was compiled');
  t.equal(a.annotationTemplates.size, 2);
});

t.test('every problem of a bad file is listed, with its line and column', async (t) => {
  const bad = `groups:
  - name: a
    rules:
      - record: "bad name"
        expr: up
      - alert: X
        record: y
        expr: up
      - alert: Y
        expr: rate((up[5m])
        for: 5 minutes
      - alert: Z
        expr: up
        annotations:
          d: '{{ nosuch $value }}'
        unknown_field: 1
      - record: r
        expr: up
        for: 1m
        annotations:
          a: b
  - name: a
  - name: m
    rules:
      - record: m
        expr: up[5m]
`;
  const { problems } = parseRuleFile('bad.yml', bad, compile);
  const text = problems.map(formatProblem).join('\n');
  t.match(text, /bad\.yml:4:9: group "a", rule 1, "bad name": invalid recording rule name: bad name/);
  t.match(text, /rule 2, "y": only one of 'record' and 'alert' must be set/);
  t.match(text, /bad\.yml:10:15: group "a", rule 3, "Y": could not parse expression: /);
  t.match(text, /bad\.yml:11:14: .*not a valid duration string: "5 minutes"/);
  t.match(text, /rule 4, "Z": template: __alert_Z:1: function "nosuch" not defined/);
  t.match(text, /bad\.yml:16:9: .*field unknown_field not found in type rulefmt\.Rule/);
  t.match(text, /invalid field 'for' in recording rule/);
  t.match(text, /invalid field 'annotations' in recording rule/);
  t.match(text, /groupname: "a" is repeated in the same file/);
  t.match(text, /must be of type vector or scalar, got matrix/);
  t.equal(problems.length, 10, text);
});

t.test('YAML errors, empty files and wrong shapes', async (t) => {
  t.same(parseRuleFile('e.yml', '', compile), { groups: [], problems: [] });
  t.match(parseRuleFile('e.yml', 'groups: [', compile).problems[0]!.message, /^yaml: /);
  t.match(parseRuleFile('e.yml', 'groupz: []', compile).problems[0]!.message, /field groupz not found/);
  t.match(parseRuleFile('e.yml', 'groups: {a: 1}', compile).problems[0]!.message, /must be a list/);
  t.match(parseRuleFile('e.yml', 'groups:\n  - rules: []', compile).problems[0]!.message, /Groupname must not be empty/);
  t.match(parseRuleFile('e.yml', 'groups:\n  - name: x\n    rules:\n      - expr: up', compile).problems[0]!.message, /one of 'record' or 'alert' must be set/);
  t.match(parseRuleFile('e.yml', 'groups:\n  - name: x\n    interval: 0s', compile).problems[0]!.message, /interval must be greater than zero/);
  t.match(parseRuleFile('e.yml', 'groups:\n  - name: x\n    rules:\n      - alert: a\n        expr: up\n        labels:\n          __x: y', compile).problems[0]!.message, /invalid label name: __x/);
});
