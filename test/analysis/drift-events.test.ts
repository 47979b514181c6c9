/** Drift starts and ends reach the agent's event log through ctx.events, as the composition root wires them. */
import t from 'tap';
import { driftComponents } from '../../agent/analysis/drift/index';
import type { DriftMonitor } from '../../agent/analysis/drift/monitor';
import { EventLog } from '../../agent/analysis/events';
import type { AgentContext } from '../../agent/core/context';
import { silentLogger } from '../../agent/core/log';
import { optionsFrom as coreOptionsFrom } from '../../agent/core/options';
import { Telemetry } from '../../agent/core/telemetry';
import { defaultConfig } from '../../agent/keys';
import { DDSketch } from '../../agent/store/sketch';
import { Store } from '../../agent/store/store';

const timer = { name: 'req_seconds', help: 'h', type: 'summary' as const };

function flush(store: Store, lo: number, hi: number, n = 200): void {
  const sk = new DDSketch();
  for (let i = 0; i < n; i++) sk.add(lo + ((hi - lo) * (i + 0.5)) / n);
  store.setDist(timer, { service: 'api' }, { count: sk.count, sum: sk.sum, sketch: sk });
}

t.test('drift_start and drift_end land in ctx.events with the series, KS and W1', async (t) => {
  const config = defaultConfig().with({ 'drift.window_intervals': 2, 'drift.min_count': 50, 'drift.ks_threshold': 0.3 });
  const store = new Store();
  const events = new EventLog(100);
  const health = { report: () => undefined } as unknown as AgentContext['health'];
  const ctx: AgentContext = { config, store, log: silentLogger(), health, telemetry: new Telemetry({ runtimeMetrics: false }), paths: coreOptionsFrom(config).paths, events };
  const [mon] = driftComponents(ctx) as DriftMonitor[];
  t.ok(mon, 'drift is on by default');
  for (let i = 0; i < 4; i++) {
    flush(store, 1, 2);
    mon!.evaluate(i * 60_000);
  }
  t.equal(events.list().length, 0, 'no event while the distribution holds');
  for (let i = 4; i < 8; i++) {
    flush(store, 2.5, 3.5);
    mon!.evaluate(i * 60_000);
  }
  const list = events.list();
  t.same(
    list.map((e) => [e.kind, e.family, e.labels]),
    [
      ['drift_start', 'req_seconds', { service: 'api' }],
      ['drift_end', 'req_seconds', { service: 'api' }],
    ],
  );
  // The first shifted interval: the current window holds one shifted and one old slot, so half its mass moved by 1.5.
  t.equal(list[0]!.detail['ks'], 0.5, 'half the current window is disjoint from the reference');
  t.ok(Math.abs((list[0]!.detail['wasserstein'] as number) - 0.75) < 0.015, `W1 ${list[0]!.detail['wasserstein']}`);
  t.equal(list[0]!.timeMs, 4 * 60_000, 'stamped with the evaluation that saw it');
});

t.test('without ctx.events the monitor runs and records nothing anywhere else', async (t) => {
  const config = defaultConfig().with({ 'drift.window_intervals': 1, 'drift.min_count': 1 });
  const store = new Store();
  const health = { report: () => undefined } as unknown as AgentContext['health'];
  const [mon] = driftComponents({ config, store, log: silentLogger(), health, telemetry: new Telemetry({ runtimeMetrics: false }), paths: coreOptionsFrom(config).paths }) as DriftMonitor[];
  flush(store, 1, 2);
  mon!.evaluate(0);
  flush(store, 5, 6);
  t.doesNotThrow(() => mon!.evaluate(60_000));
});
