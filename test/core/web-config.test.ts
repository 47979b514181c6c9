/** core/web-config*: the exporter-toolkit web config file on the shared HTTP server, with certificates made by openssl. */
import t from 'tap';
import https from 'node:https';
import http from 'node:http';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { HttpServer, sendText } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import { parseWebConfig } from '../../agent/core/web-config';
import { issue, makePki } from '../helpers/tls-certs';

const pki = makePki();
const hash = bcrypt.hashSync('s3cret', 4);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  peerCn?: string;
}

function get(url: string, opts: { ca?: string; cert?: string; key?: string; auth?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        agent: false,
        ca: opts.ca ? pki.read(opts.ca) : undefined,
        cert: opts.cert ? pki.read(opts.cert) : undefined,
        key: opts.key ? pki.read(opts.key) : undefined,
        headers: opts.auth ? { authorization: 'Basic ' + Buffer.from(opts.auth).toString('base64') } : {},
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peer = (res.socket as unknown as { getPeerCertificate?: () => { subject?: { CN?: string } } }).getPeerCertificate?.();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), peerCn: peer?.subject?.CN }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function webFile(name: string, text: string): string {
  const f = join(pki.dir, name);
  writeFileSync(f, text);
  return f;
}

async function serve(t: { teardown(f: () => unknown): void }, file: string): Promise<HttpServer> {
  const s = new HttpServer({ name: 'test', listen: '127.0.0.1:0', log: silentLogger(), webConfigFile: file, authExempt: new Set(['/open']) });
  s.route('GET', '/metrics', (_req, res) => sendText(res, 200, 'up 1\n'));
  s.route('GET', '/open', (_req, res) => sendText(res, 200, 'open\n'));
  await s.start();
  t.teardown(() => s.stop(0));
  return s;
}

t.test('the file is checked like the toolkit checks it, and errors name the key', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['tls_server_config:\n  cert_file: a.crt\n', /tls_server_config.key_file: missing/],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS14\n', /min_version: unknown TLS version "TLS14"/],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n', /unknown cipher/],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_ca_file: ca.crt\n', /client_auth_type does not ask/],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: Sometimes\n', /client_auth_type: unknown "Sometimes"/],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: RequestClientCert\n  client_allowed_sans: [x]\n', /client_allowed_sans: needs/],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  curve_preferences: [CurveP999]\n', /unknown curve/],
    ['basic_auth_users:\n  alice: plaintext\n', /basic_auth_users.alice: not a bcrypt hash/],
    ['http_server_config:\n  headers:\n    X-Frame-Options: allow\n', /X-Frame-Options: "allow" is not allowed/],
    ['http_server_config:\n  headers:\n    X-Powered-By: me\n', /unknown key "X-Powered-By"/],
    ['tls_config:\n  cert_file: a.crt\n', /unknown key "tls_config"/],
    ['basic_auth_users: [a, b]\n', /basic_auth_users: expected a map/],
    ['a: [\n', /not valid YAML/],
  ];
  for (const [text, re] of bad) {
    t.throws(() => parseWebConfig(text, '/etc/web.yml'), { code: 'OUTRIDER_ERR_WEB_CONFIG', message: re }, text);
  }
  const ok = parseWebConfig(
    `tls_server_config:\n  cert_file: a.crt\n  key_file: /abs/a.key\n  min_version: TLS13\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\nbasic_auth_users:\n  alice: ${hash}\n`,
    '/etc/outrider/web.yml',
  );
  t.equal(ok.tls?.certFile, '/etc/outrider/a.crt', 'relative paths are relative to the file');
  t.equal(ok.tls?.keyFile, '/abs/a.key');
  t.equal(ok.tls?.minVersion, 'TLSv1.3');
  t.equal(ok.tls?.ciphers, 'ECDHE-RSA-AES128-GCM-SHA256');
  t.equal(ok.users.get('alice'), hash);
  t.equal(parseWebConfig('basic_auth_users:\n  alice: ' + hash + '\n', '/w.yml').tls, undefined, 'no TLS keys: plain HTTP');
  let message = '';
  try {
    parseWebConfig('basic_auth_users:\n  alice: $2y$10$short\n', '/w.yml');
  } catch (err) {
    message = (err as Error).message;
  }
  t.match(message, /alice: not a bcrypt hash/);
  t.notMatch(message, /short/, 'a bad hash is never echoed');
});

t.test('a file that cannot serve fails at start with a clear error', async (t) => {
  t.throws(() => new HttpServer({ name: 'x', listen: '127.0.0.1:0', log: silentLogger(), webConfigFile: join(pki.dir, 'nope.yml') }), {
    code: 'OUTRIDER_ERR_WEB_CONFIG',
    message: /nope.yml: cannot read it: ENOENT/,
  });
  const missingKey = webFile('missing-key.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: absent.key\n`);
  t.throws(() => new HttpServer({ name: 'x', listen: '127.0.0.1:0', log: silentLogger(), webConfigFile: missingKey }), { message: /key_file: cannot read .*absent.key: ENOENT/ });
  const mismatched = webFile('mismatch.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n`);
  t.throws(() => new HttpServer({ name: 'x', listen: '127.0.0.1:0', log: silentLogger(), webConfigFile: mismatched }), { message: /do not form a usable TLS configuration/ });
});

t.test('TLS with the server certificate, headers on every answer', async (t) => {
  const s = await serve(
    t,
    webFile(
      'tls.yml',
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n`,
    ),
  );
  t.match(s.url(), /^https:\/\//);
  const r = await get(s.url() + '/metrics', { ca: pki.caCert });
  t.equal(r.status, 200);
  t.equal(r.body, 'up 1\n');
  t.equal(r.headers['x-frame-options'], 'deny');
  t.equal(r.headers['strict-transport-security'], 'max-age=31536000');
  t.equal((await get(s.url() + '/nothing', { ca: pki.caCert })).headers['x-frame-options'], 'deny', 'a 404 carries them too');
  await t.rejects(get(s.url() + '/metrics'), 'a client that does not trust the CA is refused');
  await t.rejects(get(s.url().replace('https:', 'http:') + '/metrics'), 'plain HTTP gets no answer');
});

t.test('RequireAndVerifyClientCert with client_allowed_sans', async (t) => {
  const s = await serve(
    t,
    webFile(
      'mtls.yml',
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n  client_allowed_sans: [agent-1.example]\n`,
    ),
  );
  t.equal((await get(s.url() + '/metrics', { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey })).status, 200, 'a client certificate from the CA with an allowed SAN');
  await t.rejects(get(s.url() + '/metrics', { ca: pki.caCert }), 'no client certificate');
  await t.rejects(get(s.url() + '/metrics', { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey }), 'a certificate from another CA');
  issue(pki.dir, 'other-client', 'agent-2', 'DNS:agent-2.example', 'ca', 'clientAuth');
  await t.rejects(get(s.url() + '/metrics', { ca: pki.caCert, cert: join(pki.dir, 'other-client.crt'), key: join(pki.dir, 'other-client.key') }), 'a trusted certificate without an allowed SAN');
});

t.test('VerifyClientCertIfGiven and RequireAnyClientCert', async (t) => {
  const ifGiven = await serve(
    t,
    webFile('ifgiven.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: VerifyClientCertIfGiven\n`),
  );
  t.equal((await get(ifGiven.url() + '/metrics', { ca: pki.caCert })).status, 200, 'none given');
  t.equal((await get(ifGiven.url() + '/metrics', { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey })).status, 200, 'a trusted one');
  await t.rejects(get(ifGiven.url() + '/metrics', { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey }), 'an untrusted one');
  const any = await serve(t, webFile('any.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n`));
  t.equal((await get(any.url() + '/metrics', { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey })).status, 200, 'any certificate');
  await t.rejects(get(any.url() + '/metrics', { ca: pki.caCert }), 'but one');
});

t.test('basic auth with bcrypt hashes; exempt paths; over plain HTTP too', async (t) => {
  const s = await serve(t, webFile('auth.yml', `basic_auth_users:\n  prometheus: ${hash}\n`));
  t.match(s.url(), /^http:\/\//, 'no TLS section: plain HTTP');
  const none = await get(s.url() + '/metrics');
  t.equal(none.status, 401);
  t.equal(none.headers['www-authenticate'], 'Basic');
  t.equal((await get(s.url() + '/metrics', { auth: 'prometheus:wrong' })).status, 401, 'a wrong password');
  t.equal((await get(s.url() + '/metrics', { auth: 'nobody:s3cret' })).status, 401, 'an unknown user');
  t.equal((await get(s.url() + '/metrics', { auth: 'prometheus:s3cret' })).status, 200);
  t.equal((await get(s.url() + '/metrics', { auth: 'prometheus:s3cret' })).status, 200, 'again, from the cache');
  t.equal((await get(s.url() + '/metrics', { auth: 'prometheus:s3cret2' })).status, 401, 'the cache does not match a longer password');
  t.equal((await get(s.url() + '/open')).status, 200, 'an exempt path needs no credentials');
});

t.test('certificates and the file are re-read when they change; a bad change keeps the old settings', async (t) => {
  const dir = pki.dir;
  copyFileSync(pki.serverCert, join(dir, 'rot.crt'));
  copyFileSync(pki.serverKey, join(dir, 'rot.key'));
  const file = webFile('rot.yml', `tls_server_config:\n  cert_file: rot.crt\n  key_file: rot.key\n`);
  const s = await serve(t, file);
  t.equal((await get(s.url() + '/metrics', { ca: pki.caCert })).peerCn, 'localhost');
  t.notOk(s.checkWebConfig(), 'nothing changed');
  issue(dir, 'rot-next', 'rotated', 'DNS:localhost,IP:127.0.0.1', 'ca', 'serverAuth');
  copyFileSync(join(dir, 'rot-next.crt'), join(dir, 'rot.crt'));
  t.notOk(s.checkWebConfig(), 'the new certificate does not match the old key yet: kept');
  t.equal((await get(s.url() + '/metrics', { ca: pki.caCert })).peerCn, 'localhost', 'the old pair still serves');
  copyFileSync(join(dir, 'rot-next.key'), join(dir, 'rot.key'));
  t.ok(s.checkWebConfig(), 'the pair is complete');
  t.equal((await get(s.url() + '/metrics', { ca: pki.caCert })).peerCn, 'rotated', 'new connections get the new certificate');
  writeFileSync(file, `tls_server_config:\n  cert_file: rot.crt\n  key_file: rot.key\nbasic_auth_users:\n  prometheus: ${hash}\n`);
  t.ok(s.checkWebConfig(), 'the file itself changed');
  t.equal((await get(s.url() + '/metrics', { ca: pki.caCert })).status, 401, 'basic auth now applies');
  writeFileSync(file, `basic_auth_users:\n  prometheus: ${hash}\n`);
  t.notOk(s.checkWebConfig(), 'turning TLS off needs a restart');
  t.equal((await get(s.url() + '/metrics', { ca: pki.caCert, auth: 'prometheus:s3cret' })).status, 200, 'still TLS');
  writeFileSync(file, `tls_server_config:\n  cert_file: rot.crt\n  key_file: rot.key\n`);
  process.kill(process.pid, 'SIGHUP');
  await new Promise((r) => setTimeout(r, 100));
  t.equal((await get(s.url() + '/metrics', { ca: pki.caCert })).status, 200, 'SIGHUP re-reads it');
});
