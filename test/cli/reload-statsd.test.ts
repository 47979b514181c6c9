/**
 * A SIGHUP that moves StatsD to a port already in use is refused before the running listener closes: StatsD keeps
 * receiving on the old port, the failure is logged and counted (outrider_config_reloads_total{result="failure"}).
 */
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { spawnCli } from '../helpers/process';

const tmp = mkdtempSync(join(tmpdir(), 'outrider-reload-statsd-'));

async function udpSocket(): Promise<{ sock: dgram.Socket; port: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { sock, port: sock.address().port };
}

async function freeUdpPort(): Promise<number> {
  const { sock, port } = await udpSocket();
  await new Promise<void>((r) => sock.close(r));
  return port;
}

async function until(fn: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

t.test('SIGHUP moving StatsD to a port in use keeps the old listener, logs and counts the failure', async (t) => {
  const busy = await udpSocket();
  t.teardown(() => busy.sock.close());
  const port = await freeUdpPort();
  const file = join(tmp, 'agent.yaml');
  const config = (statsdPort: number) =>
    `listen: 127.0.0.1:0\ncollectors:\n  enabled: [loadavg]\nstatsd:\n  listen: [udp://127.0.0.1:${statsdPort}]\n  flush_interval: 200ms\notlp:\n  enabled: false\n`;
  writeFileSync(file, config(port));
  // The statsd.listen of the file, not the harness's ephemeral port (the environment would win over the file).
  const p = spawnCli(['agent', '--config', file], { OUTRIDER_STATSD_LISTEN: undefined });
  t.teardown(() => p.child.kill('SIGKILL'));
  const ready = await p.waitForLog(/agent is ready/);
  const url = String(ready.url);
  const send = dgram.createSocket('udp4');
  t.teardown(() => send.close());
  const value = async () => Number(/^reload_ops_total (\S+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);

  send.send('reload.ops:1|c', port, '127.0.0.1');
  t.ok(await until(async () => (await value()) === 1), 'StatsD receives on its port');

  writeFileSync(file, config(busy.port));
  p.child.kill('SIGHUP');
  const failed = await p.waitForLog(/Reload failed/);
  t.match(String(failed.err), new RegExp(`statsd\\.listen udp://127\\.0\\.0\\.1:${busy.port}: EADDRINUSE`), 'the log names the listener and the error');

  send.send('reload.ops:1|c', port, '127.0.0.1');
  t.ok(await until(async () => (await value()) === 2), 'the old listener still receives');
  const ready2 = await fetch(`${url}/readyz`);
  t.equal(ready2.status, 200, 'still ready');
  t.ok(await until(async () => /^outrider_config_reloads_total\{result="failure"\} 1$/m.test(await (await fetch(`${url}/metrics`)).text()), 20_000), 'the failed reload is counted');

  // A reload to a free port works and moves the listener.
  const next = await freeUdpPort();
  writeFileSync(file, config(next));
  p.child.kill('SIGHUP');
  await p.waitForLog(/Configuration reloaded/);
  send.send('reload.ops:1|c', next, '127.0.0.1');
  t.ok(await until(async () => (await value()) === 3), 'the new port receives after a good reload');
  p.child.kill('SIGTERM');
  t.equal((await p.exited).code, 0);
});
