/**
 * The HTTP server loads node:https and the web config's TLS module only for a server that speaks TLS: the default
 * agent serves plain HTTP and its start does not pay for them (bench/README.md, "Cold start").
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { HttpServer } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import { makePki } from '../helpers/tls-certs';
import { spawnCli } from '../helpers/process';

/** Node's own modules the agent process loaded by the time it was ready (process.moduleLoadList, at exit). */
async function builtinsOfAgent(t: Test, args: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-builtins-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const preload = join(dir, 'builtins.js');
  const out = join(dir, 'builtins.txt');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`);
  const p = spawnCli(['agent', '--listen=127.0.0.1:0', '--spool.dir=', ...args], { NODE_OPTIONS: `--require=${preload}` });
  try {
    await p.waitForLog(/agent is ready/, 60_000);
  } finally {
    p.child.kill('SIGTERM');
  }
  await p.exited;
  return readFileSync(out, 'utf8').split('\n');
}

t.test('an agent serving plain HTTP does not load node:https', async (t) => {
  const loaded = await builtinsOfAgent(t, []);
  t.ok(loaded.includes('NativeModule http'), 'the list names what loaded');
  t.notOk(loaded.includes('NativeModule https'), 'node:https not loaded');
});

t.test('a server given TLS material still speaks https', async (t) => {
  const pki = makePki();
  t.teardown(() => rmSync(pki.dir, { recursive: true, force: true }));
  const key = pki.read(pki.serverKey);
  const cert = pki.read(pki.serverCert);
  const s = new HttpServer({ name: 'tls', listen: '127.0.0.1:0', log: silentLogger(), tls: { key, cert } });
  s.route('GET', '/x', (_q, r) => void r.end('ok'));
  await s.start();
  t.teardown(() => s.stop());
  t.match(s.url(), /^https:\/\/127\.0\.0\.1:\d+$/);
  t.doesNotThrow(() => s.setSecureContext({ key, cert }), 'certificate rotation applies');
  const res = await fetch(`${s.url()}/x`).catch((err: Error & { cause?: { code?: string } }) => err.cause?.code);
  t.match(String(res), /CERT|SELF_SIGNED|UNABLE/, 'the port answers a TLS handshake (with a certificate this client does not trust)');
});
