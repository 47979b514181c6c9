/**
 * The rules in a running agent, over the real local history and query engine: recorded series and ALERTS in
 * /metrics, /api/v1/rules and /api/v1/alerts, and a reload with a bad file refused as a whole.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { get, startAgent } from '../helpers/agent';

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    v = await f();
  }
  return v;
}

t.test('rules evaluate over the local history in a running agent; a bad reload keeps them', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rules-agent-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.yml');
  fs.writeFileSync(
    file,
    'groups:\n  - name: g\n    interval: 300ms\n    rules:\n      - record: job:load1:max\n        expr: max(node_load1) + 0 * vector(1)\n      - alert: HasCpus\n        expr: count(node_cpu_seconds_total{mode="idle"}) > 0\n        labels: { severity: info }\n        annotations: { summary: "{{ $value }} cpus" }\n',
  );
  const a = await startAgent({ 'history.step': 100, 'collectors.interval': 200, 'rules.files': [file], 'rules.state_dir': path.join(dir, 'state') });
  t.teardown(() => a.stop());
  const alerts = await until(
    async () => JSON.parse((await get(`${a.url}/api/v1/alerts`)).text) as { data: { alerts: Array<{ labels: Record<string, string>; state: string; annotations: Record<string, string> }> } },
    (v) => v.data.alerts.some((x) => x.state === 'firing'),
  );
  const firing = alerts.data.alerts[0]!;
  t.equal(firing.state, 'firing');
  t.same(firing.labels, { alertname: 'HasCpus', severity: 'info' });
  t.match(firing.annotations.summary, /^\d+ cpus$/);
  const metrics = await until(
    async () => (await get(`${a.url}/metrics`)).text,
    (x) => /^job:load1:max /m.test(x) && /^ALERTS\{/m.test(x),
  );
  t.match(metrics, /^ALERTS\{alertname="HasCpus",alertstate="firing",severity="info"\} 1$/m);
  t.match(metrics, /^job:load1:max \d/m);
  const rules = JSON.parse((await get(`${a.url}/api/v1/rules`)).text) as { data: { groups: Array<{ rules: Array<{ health: string }> }> } };
  t.same(
    rules.data.groups[0]!.rules.map((r) => r.health),
    ['ok', 'ok'],
  );

  fs.writeFileSync(path.join(dir, 'b.yml'), 'groups:\n  - name: b\n    rules:\n      - alert: Bad\n        expr: rate(node_load1[5m]\n');
  await a.agent.reload(a.agent.config.with({ 'rules.files': [path.join(dir, '*.yml')] }));
  const after = JSON.parse((await get(`${a.url}/api/v1/rules`)).text) as { data: { groups: Array<{ name: string }> } };
  t.same(
    after.data.groups.map((g) => g.name),
    ['g'],
    'the bad reload was refused: the old rules run',
  );
  const live = await a.agent.telemetry.registry.getSingleMetric('outrider_rules_last_reload_successful')!.get();
  t.equal(live.values[0]!.value, 0);
  t.equal(a.agent.health.get('rules')?.state, 'degraded');
  const still = JSON.parse((await get(`${a.url}/api/v1/alerts`)).text) as { data: { alerts: Array<{ state: string }> } };
  t.equal(still.data.alerts[0]?.state, 'firing', 'the alert kept its state across the reload');
});
