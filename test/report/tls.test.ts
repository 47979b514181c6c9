/**
 * Reporting over HTTPS (report.tls.*): the aggregator transport and remote write against servers with openssl-made
 * certificates, an agent reporting to an aggregator that requires client certificates, and the refusal of a bearer
 * token over plain HTTP off loopback.
 */
import t from 'tap';
import https from 'node:https';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Config } from '../../agent/config/config';
import { agentKeys, checkAcross } from '../../agent/keys';
import { Transport } from '../../agent/report/transport';
import { RemoteWriteTarget, recordPayload } from '../../agent/report/remote-write/target';
import type { QueuedItem } from '../../agent/report/runtime/output';
import { ClientTlsOptions, tlsOptionsFrom } from '../../agent/report/tls/options';
import { FRAME_HEADER_BYTES } from '../../agent/wire/frame';
import { makePki } from '../helpers/tls-certs';
import { startAgent } from '../helpers/agent';
import { startAggregator, tmpDir } from '../aggregator/helpers';

const pki = makePki();

/** An HTTPS server answering 204 to everything; with `mtls` it requires a client certificate from the CA. */
async function server(t: { teardown(f: () => unknown): void }, mtls: boolean): Promise<{ url: string; peers: string[] }> {
  const peers: string[] = [];
  const s = https.createServer({ cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey), ca: pki.read(pki.caCert), requestCert: mtls, rejectUnauthorized: mtls }, (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
    peers.push(String(peer?.subject?.CN ?? ''));
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => s.close(r)));
  return { url: `https://127.0.0.1:${(s.address() as { port: number }).port}`, peers };
}

function tls(o: Partial<ClientTlsOptions>): ClientTlsOptions {
  return { ca: undefined, cert: undefined, key: undefined, serverName: undefined, insecureSkipVerify: false, ...o };
}

async function sendOnce(url: string, o: ClientTlsOptions | undefined): Promise<string> {
  const tr = new Transport({ endpoint: url, token: 'tok', agentId: 'a1', timeoutMs: 3000, connections: 1, tls: o });
  const r = await tr.send(Buffer.from('x'));
  await tr.close();
  return r.kind;
}

t.test('the aggregator transport: custom CA, client certificate, server name, insecure_skip_verify', async (t) => {
  const s = await server(t, true);
  const ca = pki.read(pki.caCert);
  const client = { cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) };
  t.equal(await sendOnce(s.url, tls({ ca, ...client })), 'success', 'the CA verifies the server, the client certificate is accepted');
  t.equal(s.peers.at(-1), 'agent-1', 'the server saw the client certificate');
  t.equal(await sendOnce(s.url, tls({ ...client })), 'retryable', 'without the CA the server is not trusted');
  t.equal(await sendOnce(s.url, tls({ ca })), 'retryable', 'without a client certificate the server refuses');
  t.equal(await sendOnce(s.url, tls({ ca, ...client, serverName: 'other.example' })), 'retryable', 'a server name the certificate does not carry');
  t.equal(await sendOnce(s.url, tls({ ca, ...client, serverName: 'localhost' })), 'success', 'a server name it carries');
  t.equal(await sendOnce(s.url, tls({ ...client, insecureSkipVerify: true })), 'success', 'insecure_skip_verify accepts an unknown CA');
});

t.test('remote write over HTTPS with the same settings', async (t) => {
  const s = await server(t, true);
  const events = { bytes: () => undefined, ok: () => undefined, fallback: () => undefined };
  const frame = Buffer.concat([Buffer.alloc(FRAME_HEADER_BYTES), recordPayload('1.0', Buffer.from('body'))]);
  const send = async (o: ClientTlsOptions | undefined) => {
    const target = new RemoteWriteTarget(s.url + '/api/v1/write', '1.0', {}, 3000, events, o);
    const r = await target.send({} as QueuedItem, 0, () => frame);
    await target.close();
    return r.kind;
  };
  t.equal(await send(tls({ ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) })), 'success');
  t.equal(s.peers.at(-1), 'agent-1');
  t.not(await send(undefined), 'success', 'the system roots do not know the test CA');
});

t.test('report.tls.* files are read at start with errors naming the key', async (t) => {
  const c = (o: Record<string, unknown>) => Config.defaults(agentKeys).with(o);
  t.throws(() => tlsOptionsFrom(c({ 'report.tls.ca_file': join(pki.dir, 'absent.crt') })), { code: 'OUTRIDER_ERR_REPORT_TLS', message: /report.tls.ca_file .*absent.crt: ENOENT/ });
  t.throws(() => tlsOptionsFrom(c({ 'report.tls.cert_file': pki.clientCert })), { message: /cert_file and report.tls.key_file go together/ });
  t.throws(() => tlsOptionsFrom(c({ 'report.tls.cert_file': pki.clientCert, 'report.tls.key_file': pki.serverKey })), { message: /cannot be used/ });
  const ok = tlsOptionsFrom(c({ 'report.tls.ca_file': pki.caCert, 'report.tls.server_name': 'agg.example' }));
  t.ok(ok.ca?.length);
  t.equal(ok.serverName, 'agg.example');
});

t.test('a bearer token over plain HTTP off loopback is refused unless allowed', async (t) => {
  const problems = (o: Record<string, unknown>) => checkAcross(Config.defaults(agentKeys).with(o));
  const remote = { 'report.endpoints': ['http://10.1.2.3:9478'], 'report.token': 'tok' };
  const p = problems(remote);
  t.equal(p.length, 1);
  t.equal(p[0]!.key, 'report.endpoints');
  t.match(p[0]!.expected, /https:\/\/ URLs .* report.allow_insecure_token: true/);
  t.same(problems({ ...remote, 'report.token': '', 'report.token_file': '/run/secrets/token' }).length, 1, 'a token file too');
  t.same(problems({ ...remote, 'report.allow_insecure_token': true }), [], 'explicitly allowed');
  t.same(problems({ ...remote, 'report.endpoints': ['https://10.1.2.3:9478'] }), [], 'https');
  t.same(problems({ ...remote, 'report.endpoints': ['http://127.0.0.1:9478', 'http://[::1]:9478', 'http://localhost:9478'] }), [], 'loopback');
  t.same(problems({ ...remote, 'report.token': '' }), [], 'no token');
});

t.test('an agent reports to an aggregator that requires client certificates, with a token', async (t) => {
  const web = join(pki.dir, 'agg-web.yml');
  writeFileSync(web, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n');
  const agg = await startAggregator(tmpDir(t), { webConfigFile: web, tokens: ['tok'] });
  t.teardown(() => agg.stop());
  t.match(agg.url(), /^https:/);
  const agent = await startAgent({
    'report.endpoints': [agg.url()],
    'report.token': 'tok',
    'report.tls.ca_file': pki.caCert,
    'report.tls.cert_file': pki.clientCert,
    'report.tls.key_file': pki.clientKey,
    'report.agent_id': 'tls-agent',
    'report.interval': 100,
    'spool.dir': '',
    'collectors.enabled': [],
  });
  t.teardown(() => agent.stop());
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !agg.agents().some((a) => a.agent_id === 'tls-agent')) await new Promise((r) => setTimeout(r, 100));
  t.ok(
    agg.agents().some((a) => a.agent_id === 'tls-agent'),
    'the aggregator applied the agent’s batches',
  );
});
