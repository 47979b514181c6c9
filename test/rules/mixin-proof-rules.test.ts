/** The test copies of the node-mixin rule files: the documented time compression and job-matcher removal. */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { dropJobMatcher, proofCopy, shorten, shortenRanges } from './mixin-proof-rules';

const mixin = path.join(__dirname, '..', '..', '..', 'test', 'rules', 'node-mixin', 'node-exporter.rules.yml');

t.test('durations are divided by the scale and written in milliseconds', async (t) => {
  t.equal(shorten('1h', 120), '30000ms');
  t.equal(shorten('15m', 120), '7500ms');
  t.equal(shorten('1h30m', 60), '90000ms');
  t.throws(() => shorten('soon', 60), /not a Prometheus duration/);
  t.equal(shortenRanges('predict_linear(x[6h], 24*60*60) < 0'), 'predict_linear(x[1440000ms], 24*60*60) < 0');
  t.equal(shortenRanges('rate(a[2m]) / rate(b[5m])'), 'rate(a[8000ms]) / rate(b[20000ms])');
  t.equal(shortenRanges('max_over_time(rate(a[5m])[1h:1m])'), 'max_over_time(rate(a[20000ms])[240000ms:4000ms])');
  t.equal(shortenRanges('x{device=~"sd[a-z]+"}'), 'x{device=~"sd[a-z]+"}', 'a character class in a regex is not a range');
});

t.test('the job matcher goes, in every position, and nothing else does', async (t) => {
  t.equal(dropJobMatcher('a{job="node-exporter",fstype!=""}', 'node-exporter'), 'a{fstype!=""}');
  t.equal(dropJobMatcher('a{job="node-exporter", mode="idle"}', 'node-exporter'), 'a{mode="idle"}');
  t.equal(dropJobMatcher('a{state="active",job="node-exporter",device=~"x"}', 'node-exporter'), 'a{state="active",device=~"x"}');
  t.equal(dropJobMatcher('a{job="node-exporter"} / b', 'node-exporter'), 'a / b');
  t.throws(() => dropJobMatcher('a{job=~"node.*"}', 'node-exporter'), /a job matcher is left in/);
});

t.test('the copy of the published file keeps every rule, label and annotation; only for and ranges change', async (t) => {
  const text = fs.readFileSync(mixin, 'utf8');
  type Rule = { alert?: string; record?: string; expr: string; for?: string; labels?: unknown; annotations?: unknown };
  const before = YAML.parse(text) as { groups: Array<{ name: string; rules: Rule[] }> };
  const after = YAML.parse(proofCopy(text)) as typeof before;
  t.same(
    after.groups.map((g) => [g.name, g.rules.map((r) => r.alert ?? r.record)]),
    before.groups.map((g) => [g.name, g.rules.map((r) => r.alert ?? r.record)]),
  );
  const rules = (d: typeof before) => d.groups.flatMap((g) => g.rules);
  for (const [i, r] of rules(after).entries()) {
    const orig = rules(before)[i]!;
    t.same([r.labels, r.annotations], [orig.labels, orig.annotations]);
    t.notMatch(r.expr, /job=/);
    t.notMatch(r.expr, /\[\d+[smhdwy]\]/, 'every range is rewritten');
    if (orig.for === '1h') t.equal(r.for, '30000ms');
  }
  t.match(rules(after)[0]!.expr, /predict_linear\(node_filesystem_avail_bytes\{fstype!="",mountpoint!=""\}\[1440000ms\], 24\*60\*60\) < 0/);
});
