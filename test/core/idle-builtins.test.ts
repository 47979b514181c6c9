/**
 * The default agent does not load node:tls or node:crypto at start: TLS material is checked only where a CA or a
 * certificate is set, and hashes are taken with their first use (a page served, a rule group, a hashmod rule), so
 * an idle agent does not hold them (bench/README.md, "Idle RSS: glibc's mmap threshold, TLS and crypto loaded on
 * first use").
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Config } from '../../agent/config/config';
import { agentKeys } from '../../agent/keys';
import { tlsOptionsFrom } from '../../agent/report/tls/options';
import { makePki } from '../helpers/tls-certs';
import { spawnCli } from '../helpers/process';

/**
 * Node's own modules the agent's code asked for by the time it was ready (every `require` of a built-in, recorded by a
 * preload and written at exit). Not process.moduleLoadList: the test runner's instrumentation of child processes
 * loads node:crypto itself.
 */
async function builtinsOfAgent(t: Test, args: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-builtins-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const preload = join(dir, 'builtins.js');
  const out = join(dir, 'builtins.txt');
  writeFileSync(
    preload,
    `const M = require('node:module'); const ids = new Set(); const req = M.prototype.require;
M.prototype.require = function (id) { const n = String(id).replace(/^node:/, ''); if (M.isBuiltin(n)) ids.add(n); return req.apply(this, arguments); };
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, [...ids].join('\\n')));\n`,
  );
  const p = spawnCli(['agent', '--listen=127.0.0.1:0', '--spool.dir=', ...args], { NODE_OPTIONS: `--require=${preload}` });
  try {
    await p.waitForLog(/agent is ready/, 60_000);
  } finally {
    p.child.kill('SIGTERM');
  }
  await p.exited;
  return readFileSync(out, 'utf8').split('\n');
}

t.test('a default agent loads neither node:tls nor node:crypto', async (t) => {
  const loaded = await builtinsOfAgent(t, []);
  t.ok(loaded.includes('http'), 'the list names what loaded');
  t.notOk(loaded.includes('tls'), 'node:tls not loaded');
  t.notOk(loaded.includes('crypto'), 'node:crypto not loaded');
});

t.test('report TLS material is still checked when it is set', async (t) => {
  const pki = makePki();
  t.teardown(() => rmSync(pki.dir, { recursive: true, force: true }));
  const c = (o: Record<string, unknown>): Config => Config.defaults(agentKeys).with(o);
  t.throws(() => tlsOptionsFrom(c({ 'report.tls.cert_file': pki.clientCert, 'report.tls.key_file': pki.serverKey })), { code: 'OUTRIDER_ERR_REPORT_TLS', message: /cannot be used/ });
  const ok = tlsOptionsFrom(c({ 'report.tls.ca_file': pki.caCert, 'report.tls.cert_file': pki.clientCert, 'report.tls.key_file': pki.clientKey }));
  t.ok(ok.ca && ok.cert && ok.key, 'a matching pair and a CA are taken');
  t.same(tlsOptionsFrom(c({})), { ca: undefined, cert: undefined, key: undefined, serverName: undefined, insecureSkipVerify: false }, 'no material: nothing to check');
});
