/**
 * Alertmanager delivery against a real Alertmanager (Debian's prometheus-alertmanager) started on loopback: firing
 * alerts arrive with their labels, annotations, external labels, startsAt and endsAt; a resolution takes them out
 * of Alertmanager's active list; a down Alertmanager costs the batch (counted) and the next resend makes it good.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Health } from '../../agent/core/component';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { RulesManager } from '../../agent/rules/manager';
import { Store } from '../../agent/store/store';
import { haveCommand, requireTool } from '../helpers/tools';
import { FakeEngine } from './fake-engine';

const bin = '/usr/bin/prometheus-alertmanager';
const have = haveCommand(bin);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function startAlertmanager(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  fs.writeFileSync(path.join(dir, 'am.yml'), 'route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n');
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn(bin, [`--config.file=${path.join(dir, 'am.yml')}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], {
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && proc.exitCode === null; i++) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return { url, proc };
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill();
  }
  throw new Error('Alertmanager did not start');
}

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

async function amAlerts(url: string): Promise<AmAlert[]> {
  return (await (await fetch(`${url}/api/v2/alerts`)).json()) as AmAlert[];
}

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = await f();
  }
  return v;
}

t.test('alerts reach a real Alertmanager with Prometheus semantics', requireTool(have, 'prometheus-alertmanager'), async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-am-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const am = await startAlertmanager(dir);
  t.teardown(() => am.proc.kill());
  fs.writeFileSync(
    path.join(dir, 'a.rules.yml'),
    `groups:\n  - name: g\n    interval: 10s\n    rules:\n      - alert: DiskFull\n        expr: disk_full\n        labels: { severity: page }\n        annotations:\n          summary: '{{ $labels.device }} is {{ $value | humanizePercentage }} full'\n`,
  );
  const engine = new FakeEngine().set('disk_full', [{ labels: { __name__: 'disk_full', device: 'sda' }, value: 0.97 }]);
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const m = new RulesManager(
    {
      files: [path.join(dir, '*.rules.yml')],
      evaluationIntervalMs: 60_000,
      externalLabels: { cluster: 'eu1', severity: 'ignored' },
      externalUrl: 'http://agent.example:9477',
      stateDir: undefined,
      forGracePeriodMs: 600_000,
      outageToleranceMs: 3_600_000,
      alertmanager: { urls: [am.url, 'http://127.0.0.1:1'], timeoutMs: 2000, resendDelayMs: 60_000, queueCapacity: 100, maxBatch: 64 },
    },
    { store: new Store(), log: silentLogger(), telemetry, health: new Health(), engine, carry: {} },
  );
  await m.start();
  t.teardown(() => m.stop());
  const g = m.groups[0]!;
  const t0 = Date.now();
  g.evaluate(t0);
  await m.notifier.flush();
  const got = await until(
    () => amAlerts(am.url),
    (a) => a.length > 0,
  );
  t.equal(got.length, 1);
  const a = got[0]!;
  t.same(a.labels, { alertname: 'DiskFull', device: 'sda', severity: 'page', cluster: 'eu1' }, 'external labels added where absent');
  t.same(a.annotations, { summary: 'sda is 97% full' });
  t.equal(Date.parse(a.startsAt), t0);
  t.equal(Date.parse(a.endsAt), t0 + 4 * 60_000, 'endsAt = now + 4 × max(resend delay, interval)');
  t.equal(a.generatorURL, 'http://agent.example:9477/graph?g0.expr=disk_full&g0.tab=1');
  t.equal(a.status.state, 'active');
  const sent = await telemetry.registry.getSingleMetric('outrider_rules_notifications_sent_total')!.get();
  t.equal(sent.values.find((v) => String(v.labels.alertmanager).startsWith(am.url))?.value, 1);
  const errors = await telemetry.registry.getSingleMetric('outrider_rules_notifications_errors_total')!.get();
  t.equal(errors.values[0]?.value, 1, 'the unreachable Alertmanager counts an error');
  const dropped = await telemetry.registry.getSingleMetric('outrider_rules_notifications_dropped_total')!.get();
  t.equal(dropped.values[0]?.value ?? 0, 0, 'one Alertmanager took the batch: nothing dropped');

  // Resolved: endsAt is the resolution time, and Alertmanager no longer lists it as active.
  engine.set('disk_full', []);
  const t1 = Date.now();
  g.evaluate(t1);
  await m.notifier.flush();
  const after = await until(
    () => amAlerts(am.url),
    (l) => l.length === 0,
  );
  t.same(after, [], 'resolved: no longer active in Alertmanager');
  const all = (await (await fetch(`${am.url}/api/v2/alerts?active=false&unprocessed=false`)).json()) as AmAlert[];
  t.ok(
    all.every((x) => Date.parse(x.endsAt) === t1),
    `endsAt is the resolution time (${JSON.stringify(all.map((x) => x.endsAt))})`,
  );
});

t.test('a full queue drops the oldest alerts and counts them; an unreachable Alertmanager drops the batch', async (t) => {
  const { Notifier } = await import('../../agent/rules/notifier');
  const { ruleMetrics } = await import('../../agent/rules/metrics');
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const metrics = ruleMetrics(telemetry);
  const n = new Notifier({ urls: ['http://127.0.0.1:1'], timeoutMs: 500, resendDelayMs: 60_000, queueCapacity: 3, maxBatch: 2 }, { log: silentLogger(), metrics, externalLabels: {} });
  const alert = (i: number) => ({ labels: { alertname: `A${i}` }, annotations: {}, startsAtMs: 0, endsAtMs: 1, generatorURL: '' });
  n.send([alert(1), alert(2), alert(3), alert(4), alert(5)]);
  t.ok(n.queueLength <= 3, 'bounded');
  await n.flush();
  const dropped = (await metrics.notifyDropped.get()).values[0]!.value;
  t.equal(dropped, 5, '2 dropped by the bound, 3 sent nowhere');
});
