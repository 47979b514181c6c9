/**
 * The default agent does not load node:tls or node:crypto at start: TLS material is checked only where a CA or a
 * certificate is set, and hashes are taken with their first use (a page served, a rule group, a hashmod rule), so
 * an idle agent does not hold them (bench/README.md, "Idle RSS: glibc's mmap threshold, TLS and crypto loaded on
 * first use").
 */
import { rmSync } from 'node:fs';
import t from 'tap';
import { Config } from '../../agent/config/config';
import { agentKeys } from '../../agent/keys';
import { tlsOptionsFrom } from '../../agent/report/tls/options';
import { makePki } from '../helpers/tls-certs';
import { builtinsOfAgent } from '../helpers/agent-builtins';

t.test('a default agent loads neither node:tls nor node:crypto', async (t) => {
  const loaded = await builtinsOfAgent(t, 'required');
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
