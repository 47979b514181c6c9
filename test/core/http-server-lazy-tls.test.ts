/**
 * The HTTP server loads node:https and the web config's TLS module only for a server that speaks TLS: the default
 * agent serves plain HTTP and its start does not pay for them (bench/README.md, "Cold start").
 */
import { rmSync } from 'node:fs';
import t from 'tap';
import { HttpServer } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import { makePki } from '../helpers/tls-certs';
import { builtinsOfAgent } from '../helpers/agent-builtins';

t.test('an agent serving plain HTTP does not load node:https', async (t) => {
  const loaded = await builtinsOfAgent(t, 'loaded');
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
