import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { spawnCli } from '../helpers/process';

const tmp = mkdtempSync(join(tmpdir(), 'outrider-sig-'));

async function waitFor(fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

t.test('SIGHUP reloads the config file; a bad new config keeps the old one; SIGTERM exits 0', async (t) => {
  const file = join(tmp, 'agent.yaml');
  writeFileSync(file, 'listen: 127.0.0.1:0\ncollectors:\n  enabled: [loadavg]\n');
  const p = spawnCli(['agent', '--config', file]);
  t.teardown(() => p.child.kill('SIGKILL'));
  const ready = await p.waitForLog(/agent is ready/);
  const url = String(ready.url);
  await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200);
  t.match(await (await fetch(`${url}/metrics`)).text(), /node_load1 /);

  // Valid reload: disable the only host collector; its series go away.
  writeFileSync(file, 'listen: 127.0.0.1:0\ncollectors:\n  enabled: [loadavg]\n  disabled: [loadavg]\n');
  p.child.kill('SIGHUP');
  await p.waitForLog(/Configuration reloaded/);
  await waitFor(async () => !/node_load1 /.test(await (await fetch(`${url}/metrics`)).text()));
  t.pass('reload applied');

  // Invalid reload: reported, old config stays, endpoint keeps serving.
  writeFileSync(file, 'listen: 127.0.0.1:0\nlog_level: loud\n');
  p.child.kill('SIGHUP');
  await p.waitForLog(/new configuration is invalid/);
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'still serving');

  const t0 = Date.now();
  p.child.kill('SIGTERM');
  const { code } = await p.exited;
  t.equal(code, 0, 'SIGTERM exits 0');
  t.ok(Date.now() - t0 < 8000, 'within a few seconds');
});

t.test('SIGTERM lets an in-flight request finish', async (t) => {
  const p = spawnCli(['agent', '--listen=127.0.0.1:0']);
  t.teardown(() => p.child.kill('SIGKILL'));
  const ready = await p.waitForLog(/agent is ready/);
  const url = String(ready.url);
  // Start a request but send its headers slowly, then SIGTERM while it is in flight.
  const { request } = await import('node:http');
  const u = new URL(url);
  const body = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/metrics', method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.flushHeaders();
    setTimeout(() => {
      p.child.kill('SIGTERM');
      setTimeout(() => req.end(), 200);
    }, 100);
  });
  const res = await body;
  t.equal(res.status, 200);
  t.match(res.text, /process_cpu_user_seconds_total/);
  t.equal((await p.exited).code, 0);
});

// The handlers are in place before the start: a container stopped as soon as its health check passes gets SIGTERM
// while the later listeners still open. (Before, the signal's default action killed the agent: exit code null.)
t.test('a signal during the start: SIGTERM stops the agent cleanly, SIGHUP waits for the start', async (t) => {
  const term = spawnCli(['agent', '--listen=127.0.0.1:0']);
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.waitForLog(/StatsD listener is ready/);
  term.child.kill('SIGTERM');
  t.same(await term.exited, { code: 0, signal: null }, 'exit 0, not killed by the signal');
  t.match(term.stderr(), /"msg":"Stopped\."/);

  const hup = spawnCli(['agent', '--listen=127.0.0.1:0']);
  t.teardown(() => hup.child.kill('SIGKILL'));
  await hup.waitForLog(/StatsD listener is ready/);
  hup.child.kill('SIGHUP');
  const ready = await hup.waitForLog(/agent is ready/);
  t.equal((await fetch(`${String(ready.url)}/healthz`)).status, 200, 'alive after a SIGHUP during its start');
  hup.child.kill('SIGTERM');
  t.same(await hup.exited, { code: 0, signal: null });
});

t.test('the same stop signal twice at once (to the process and its group) is one stop, not a forced exit', async (t) => {
  const p = spawnCli(['agent', '--listen=127.0.0.1:0']);
  t.teardown(() => p.child.kill('SIGKILL'));
  await p.waitForLog(/agent is ready/);
  p.child.kill('SIGTERM');
  await p.waitForLog(/^Stopping\.$/);
  p.child.kill('SIGTERM');
  t.same(await p.exited, { code: 0, signal: null });
  t.notMatch(p.stderr(), /Second stop signal/);
});

t.test('the aggregator: SIGTERM as soon as it logs stops it with exit 0', async (t) => {
  const dir = mkdtempSync(join(tmp, 'agg-'));
  const p = spawnCli(['aggregator', '--listen=127.0.0.1:0', `--aggregator.state_dir=${dir}`]);
  t.teardown(() => p.child.kill('SIGKILL'));
  await p.waitForLog(/./);
  p.child.kill('SIGTERM');
  t.same(await p.exited, { code: 0, signal: null });
});
