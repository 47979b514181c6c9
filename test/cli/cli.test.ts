import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot, runCli } from '../helpers/process';

const tmp = mkdtempSync(join(tmpdir(), 'outrider-cli-'));

t.test('--version and --help', async (t) => {
  const v = await runCli(['--version']);
  t.equal(v.code, 0);
  t.match(v.stdout, /^outrider \d+\.\d+\.\d+/);
  const h = await runCli(['--help']);
  t.equal(h.code, 0);
  t.match(h.stdout, /Commands:[\s\S]*agent[\s\S]*check-config/);
  const ah = await runCli(['agent', '--help']);
  t.equal(ah.code, 0);
  for (const flag of ['--config', '--listen', '--log-level', '--path.procfs', '--path.sysfs', '--path.rootfs']) t.match(ah.stdout, flag);
  const unknown = await runCli(['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown command "frobnicate"/);
});

t.test('check-config: valid file exits 0, bad file lists every problem and exits 2', async (t) => {
  const good = await runCli(['check-config', join(repoRoot, 'config', 'outrider.yaml')]);
  t.equal(good.code, 0, good.stderr);
  t.match(good.stdout, /configuration is valid/);
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'listen: nowhere\nlog_level: loud\nstore:\n  stale_after: soon\nbogus: 1\n');
  const r = await runCli(['check-config', bad]);
  t.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 5, r.stderr);
  t.match(r.stderr, /bad\.yaml:1: listen: got "nowhere", expected HOST:PORT/);
  t.match(r.stderr, /log_level: got "loud", expected one of/);
  t.match(r.stderr, /store\.stale_after: got "soon", expected a duration/);
  t.match(r.stderr, /bogus: got 1, expected a known key/);
  t.match(r.stderr, /4 problems found/);
  const none = await runCli(['check-config']);
  t.equal(none.code, 2);
});

t.test('the agent refuses a bad config the same way (exit 2)', async (t) => {
  const r = await runCli(['agent', '--listen=nowhere', '--store.stale-after=soon']);
  t.equal(r.code, 2);
  t.match(r.stderr, /bad configuration: .*listen: got "nowhere"/);
  t.match(r.stderr, /store\.stale_after: got "soon"/);
  const env = await runCli(['agent'], { OUTRIDER_LOG_LEVEL: 'chatty' });
  t.equal(env.code, 2);
  t.match(env.stderr, /OUTRIDER_LOG_LEVEL: log_level: got "chatty"/);
  const unreadable = await runCli(['agent', '--config', join(tmp, 'missing.yaml')]);
  t.equal(unreadable.code, 2);
  t.match(unreadable.stderr, /missing\.yaml.*no such file/);
});

t.test('a port in use is one clear error line and a non-zero exit', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  t.teardown(() => blocker.close());
  const r = await runCli(['agent', `--listen=127.0.0.1:${port}`, '--log-level=error']);
  t.equal(r.code, 1);
  t.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
  t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

t.test('a missing root path is one clear error and a non-zero exit', async (t) => {
  const r = await runCli(['agent', '--listen=127.0.0.1:0', '--path.procfs=/nonexistent/proc']);
  t.equal(r.code, 1);
  t.match(r.stderr, /path\.procfs: \/nonexistent\/proc cannot be read \(ENOENT\)/);
});

t.test('the agent refuses an unknown OUTRIDER_V8_TIERING (exit 2) and does not take it for a config key', async (t) => {
  const r = await runCli(['agent', '--listen=127.0.0.1:0'], { OUTRIDER_V8_TIERING: 'fast' });
  t.equal(r.code, 2);
  t.match(r.stderr, /OUTRIDER_V8_TIERING: expected "lean" or "default", got "fast"/);
  t.notMatch(r.stderr, /names no key/);
});
