import t from 'tap';
import { AlertingRule, resolvedRetentionMs } from '../../agent/rules/alerting';
import { parseRuleFile } from '../../agent/rules/file';
import type { InstantSample } from '../../agent/query/types';
import { FakeEngine } from './fake-engine';

function rule(extra = '', forDur = '5m'): AlertingRule {
  const src = `groups:\n  - name: g\n    rules:\n      - alert: High\n        expr: x > 1\n        for: ${forDur}\n${extra}        labels:\n          severity: '{{ if gt $value 10.0 }}critical{{ else }}warning{{ end }}'\n        annotations:\n          summary: 'value {{ $value }} on {{ $labels.instance }}'\n`;
  const { groups, problems } = parseRuleFile('f.yml', src, (e) => new FakeEngine().compile(e));
  if (problems.length) throw new Error(JSON.stringify(problems));
  return new AlertingRule(groups[0]!.rules[0]!, { externalLabels: {}, externalUrl: '' });
}

const s = (instance: string, value = 5): InstantSample => ({ labels: { __name__: 'x', instance }, value });
const min = 60_000;

t.test('pending, then firing after `for`, then resolved and kept 15 minutes', async (t) => {
  const r = rule();
  let out = r.eval(0, [s('a')], 0);
  const a = [...r.active.values()][0]!;
  t.equal(a.state, 'pending');
  t.same(a.labels, { instance: 'a', severity: 'warning', alertname: 'High' }, '__name__ dropped, templated label, alertname');
  t.equal(a.annotations.summary, 'value 5 on a');
  t.same(
    out.map((o) => [o.name, o.labels.alertstate, o.value]),
    [
      ['ALERTS', 'pending', 1],
      ['ALERTS_FOR_STATE', undefined, 0],
    ],
  );
  r.eval(4 * min, [s('a', 6)], 0);
  t.equal(a.state, 'pending', 'not yet held for 5m');
  t.equal(a.annotations.summary, 'value 6 on a', 'value and annotations follow the latest result');
  out = r.eval(5 * min, [s('a')], 0);
  t.equal(a.state, 'firing');
  t.equal(a.firedAtMs, 5 * min);
  t.equal(r.state(), 'firing');
  t.same(out[0]!.labels.alertstate, 'firing');
  out = r.eval(6 * min, [], 0);
  t.equal(a.state, 'inactive');
  t.equal(a.resolvedAtMs, 6 * min);
  t.same(out, [], 'no ALERTS series for a resolved alert');
  t.equal(r.active.size, 1, 'kept as resolved');
  r.eval(6 * min + resolvedRetentionMs, [], 0);
  t.equal(r.active.size, 1, 'still kept at exactly 15m');
  r.eval(6 * min + resolvedRetentionMs + 1, [], 0);
  t.equal(r.active.size, 0, 'forgotten after 15m');
});

t.test('a pending alert whose result vanishes is forgotten; returning restarts `for`', async (t) => {
  const r = rule();
  r.eval(0, [s('a')], 0);
  r.eval(min, [], 0);
  t.equal(r.active.size, 0);
  r.eval(2 * min, [s('a')], 0);
  t.equal([...r.active.values()][0]!.activeAtMs, 2 * min);
});

t.test('a resolved alert that comes back starts pending again', async (t) => {
  const r = rule('', '0s');
  r.eval(0, [s('a')], 0);
  t.equal([...r.active.values()][0]!.state, 'firing', 'for: 0 fires at once');
  r.eval(min, [], 0);
  r.eval(2 * min, [s('a')], 0);
  const a = [...r.active.values()][0]!;
  t.equal(a.state, 'firing');
  t.equal(a.activeAtMs, 2 * min, 'a new alert, not the resolved one');
});

t.test('keep_firing_for holds a firing alert after its result vanished', async (t) => {
  const r = rule('        keep_firing_for: 3m\n', '1m');
  r.eval(0, [s('a')], 0);
  r.eval(min, [s('a')], 0);
  const a = [...r.active.values()][0]!;
  t.equal(a.state, 'firing');
  const out = r.eval(2 * min, [], 0);
  t.equal(a.state, 'firing', 'kept firing');
  t.equal(a.keepFiringSinceMs, 2 * min);
  t.equal(out.length, 2, 'ALERTS still written');
  r.eval(4 * min, [], 0);
  t.equal(a.state, 'firing');
  r.eval(5 * min, [], 0);
  t.equal(a.state, 'inactive', 'resolved once keep_firing_for has passed');
  t.equal(a.resolvedAtMs, 5 * min);
});

t.test('keep_firing_for is reset when the result comes back', async (t) => {
  const r = rule('        keep_firing_for: 3m\n', '0s');
  r.eval(0, [s('a')], 0);
  r.eval(min, [], 0);
  r.eval(2 * min, [s('a')], 0);
  const a = [...r.active.values()][0]!;
  t.equal(a.keepFiringSinceMs, undefined);
  r.eval(3 * min, [], 0);
  r.eval(5 * min, [], 0);
  t.equal(a.state, 'firing', '3m counted from the second disappearance');
});

t.test('limit: too many alerts fail the rule and clear its alerts', async (t) => {
  const r = rule();
  t.throws(() => r.eval(0, [s('a'), s('b'), s('c')], 2), /exceeded limit of 2 with 3 alerts/);
  t.equal(r.active.size, 0);
  r.eval(0, [s('a'), s('b')], 2);
  t.equal(r.active.size, 2);
});

t.test('the same labels after templating are an error', async (t) => {
  const r = rule();
  t.throws(() => r.eval(0, [s('a'), { labels: { __name__: 'y', instance: 'a' }, value: 5 }], 0), /same labelset after applying alert labels/);
});

t.test('sending: firing alerts every resend delay, resolved ones until 15m have passed, pending never', async (t) => {
  const r = rule('', '1m');
  r.eval(0, [s('a')], 0);
  t.same(r.alertsToSend(0, min, 15_000), [], 'pending is not sent');
  r.eval(min, [s('a')], 0);
  let sent = r.alertsToSend(min, min, 15_000);
  t.equal(sent.length, 1);
  t.equal(sent[0]!.validUntilMs, min + 4 * min, 'endsAt = now + 4 × max(resend delay, interval)');
  t.same(r.alertsToSend(min + 30_000, min, 15_000), [], 'not again before the resend delay');
  t.same(r.alertsToSend(2 * min, min, 15_000), [], 'not at exactly the resend delay');
  t.equal(r.alertsToSend(2 * min + 1, min, 15_000).length, 1, 'after the resend delay');
  t.equal(r.alertsToSend(2 * min + 2, min, 5 * min)[0]?.validUntilMs, undefined, 'nothing due');
  r.eval(3 * min, [], 0);
  sent = r.alertsToSend(3 * min, min, 15_000);
  t.equal(sent.length, 1, 'the resolution is sent at once');
  t.equal(sent[0]!.resolvedAtMs, 3 * min);
  t.equal(r.alertsToSend(4 * min + 1, min, 15_000).length, 1, 'and resent while kept');
  r.eval(3 * min + resolvedRetentionMs + 1, [], 0);
  t.same(r.alertsToSend(20 * min, min, 15_000), []);
});
