/**
 * A scraped series that disappears from its target, and every series of a target that goes down, end at once in a
 * real Prometheus fed by the agent's remote write: the agent sends the staleness marker, so an instant query stops
 * answering them at once instead of five minutes later (Prometheus's lookback).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { startAgent } from '../helpers/agent';
import { haveCommand, requireTool } from '../helpers/tools';
import { query, startPrometheus } from './fleet-engine';
import { eventually } from './procs';

t.test('staleness markers reach Prometheus through remote write', requireTool(haveCommand('prometheus'), 'prometheus'), async (t) => {
  let body = '# TYPE app_temperature gauge\napp_temperature{room="a"} 21.5\napp_temperature{room="b"} 19\n';
  const app = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const appAddr = `127.0.0.1:${(app.address() as AddressInfo).port}`;
  t.teardown(() => new Promise<void>((r) => (app.closeAllConnections(), app.close(() => r()))));
  const prom = await startPrometheus(t);
  const a = await startAgent({
    'scrape.targets': [{ url: `http://${appAddr}/metrics`, job: 'app', interval: '200ms', timeout: '150ms' }],
    'report.remote_write': [prom + '/api/v1/write'],
    'report.remote_write_interval': 200,
    'collectors.enabled': [],
  });
  t.teardown(() => a.stop());

  const rooms = async () => (await query(prom, 'app_temperature{job="app"}')).map((r) => `${r.metric.room}=${r.value}`).sort();
  t.same(await eventually(async () => ((await rooms()).length === 2 ? rooms() : undefined), 30_000), ['a=21.5', 'b=19'], 'both series arrive');

  // room="a" leaves the target: gone from Prometheus at once, not after its 5-minute lookback.
  body = '# TYPE app_temperature gauge\napp_temperature{room="b"} 19\n';
  t.same(await eventually(async () => ((await rooms()).length === 1 ? rooms() : undefined), 15_000), ['b=19'], 'room a ended by its marker');

  // The target goes down: its series end, `up` says 0.
  app.closeAllConnections();
  await new Promise<void>((r) => app.close(() => r()));
  const up = await eventually(async () => {
    const r = await query(prom, `up{job="app",instance="${appAddr}"}`);
    return r.length === 1 && r[0]!.value === 0 && (await rooms()).length === 0 ? r[0]!.value : undefined;
  }, 15_000);
  t.equal(up, 0, 'up is 0 and no app_temperature series is left');
});
