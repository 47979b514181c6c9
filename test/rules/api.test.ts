import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Health } from '../../agent/core/component';
import { HttpServer } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { mountRulesApi } from '../../agent/rules/http';
import { RulesManager } from '../../agent/rules/manager';
import { Store } from '../../agent/store/store';
import { FakeEngine } from './fake-engine';

t.test("/api/v1/rules and /api/v1/alerts in Prometheus's shape", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rules-api-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'r.yml');
  fs.writeFileSync(
    file,
    'groups:\n  - name: g\n    interval: 30s\n    rules:\n      - record: a:b\n        expr: up\n      - alert: Hot\n        expr: temp > 80\n        for: 1m\n        labels: { severity: page }\n        annotations: { summary: "{{ $value }} degrees" }\n      - alert: Broken\n        expr: broken\n',
  );
  const engine = new FakeEngine().set('up', [{ labels: { __name__: 'up' }, value: 1 }]).set('temp > 80', [{ labels: { __name__: 'temp', zone: 'a' }, value: 85 }]);
  engine.answers.set('broken', () => {
    throw new Error('the engine said no');
  });
  const m = new RulesManager(
    {
      files: [file],
      evaluationIntervalMs: 60_000,
      externalLabels: {},
      externalUrl: '',
      stateDir: undefined,
      forGracePeriodMs: 600_000,
      outageToleranceMs: 3_600_000,
      alertmanager: { urls: [], timeoutMs: 1000, resendDelayMs: 60_000, queueCapacity: 10, maxBatch: 64 },
    },
    { store: new Store(), log: silentLogger(), telemetry: new Telemetry({ runtimeMetrics: false }), health: new Health(), engine, carry: {} },
  );
  await m.start();
  t.teardown(() => m.stop());
  const tMs = Date.UTC(2026, 0, 1, 12, 0, 0);
  m.groups[0]!.evaluate(tMs);
  const server = new HttpServer({ name: 'test', listen: '127.0.0.1:0', log: silentLogger() });
  mountRulesApi(server, () => m.groups);
  await server.start();
  t.teardown(() => server.stop());

  const rules = (await (await fetch(`${server.url()}/api/v1/rules`)).json()) as { status: string; data: { groups: Array<Record<string, unknown> & { rules: Array<Record<string, unknown>> }> } };
  t.equal(rules.status, 'success');
  const g = rules.data.groups[0]!;
  t.match(g, { name: 'g', file, interval: 30, limit: 0, lastEvaluation: '2026-01-01T12:00:00Z' });
  t.match(g.rules[0], { name: 'a:b', query: 'up', health: 'ok', type: 'recording' });
  t.match(g.rules[1], {
    state: 'pending',
    name: 'Hot',
    query: 'temp > 80',
    duration: 60,
    keepFiringFor: 0,
    labels: { severity: 'page' },
    annotations: { summary: '{{ $value }} degrees' },
    health: 'ok',
    type: 'alerting',
    alerts: [{ labels: { alertname: 'Hot', zone: 'a', severity: 'page' }, annotations: { summary: '85 degrees' }, state: 'pending', activeAt: '2026-01-01T12:00:00Z', value: '8.5e+01' }],
  });
  t.match(g.rules[2], { name: 'Broken', health: 'err', lastError: 'the engine said no', state: 'inactive', alerts: [] });

  const onlyRecords = (await (await fetch(`${server.url()}/api/v1/rules?type=record`)).json()) as typeof rules;
  t.same(
    onlyRecords.data.groups[0]!.rules.map((r) => r.name),
    ['a:b'],
  );
  const bad = await fetch(`${server.url()}/api/v1/rules?type=nope`);
  t.equal(bad.status, 400);
  t.match(await bad.json(), { status: 'error', errorType: 'bad_data' });

  const alerts = (await (await fetch(`${server.url()}/api/v1/alerts`)).json()) as { data: { alerts: unknown[] } };
  t.same(alerts, {
    status: 'success',
    data: { alerts: [{ labels: { zone: 'a', severity: 'page', alertname: 'Hot' }, annotations: { summary: '85 degrees' }, state: 'pending', activeAt: '2026-01-01T12:00:00Z', value: '8.5e+01' }] },
  });
});
