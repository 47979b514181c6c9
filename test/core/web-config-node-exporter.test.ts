/**
 * The same web config files given to node_exporter (Debian's prometheus-node-exporter) and to Outrider: each file
 * is accepted by both or refused by both, and a file with TLS and basic auth answers the same requests the same way.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import https from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { HttpServer, sendText } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import { loadWebSettings } from '../../agent/core/web-config-watch';
import { makePki } from '../helpers/tls-certs';

const exporter = 'prometheus-node-exporter';
const found = spawnSync(exporter, ['--version']).status === 0;

/** Starts node_exporter on the file; resolves with its port once serving, or undefined when it exits refusing it. */
function nodeExporter(file: string, t: { teardown(f: () => unknown): void }): Promise<{ port: number } | undefined> {
  return new Promise((resolve, reject) => {
    const p = spawn(exporter, ['--collector.disable-defaults', '--web.listen-address=127.0.0.1:0', `--web.config.file=${file}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.teardown(() => p.kill('SIGKILL'));
    let err = '';
    let port = 0;
    const timer = setTimeout(() => reject(new Error(`node_exporter neither served nor exited: ${err}`)), 15_000);
    p.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      port ||= Number(/Listening on" address=127\.0\.0\.1:(\d+)/.exec(err)?.[1] ?? 0);
      if (/TLS is (enabled|disabled)/.test(err) && port) {
        clearTimeout(timer);
        resolve({ port });
      }
    });
    p.on('exit', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

function outrider(file: string): boolean {
  try {
    loadWebSettings(file);
    return true;
  } catch {
    return false;
  }
}

function status(url: string, ca: Buffer, auth: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: false, ca, headers: { authorization: 'Basic ' + Buffer.from(auth).toString('base64') }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

t.test('node_exporter and Outrider accept and refuse the same files', { skip: found ? false : `${exporter} is not installed` }, async (t) => {
  const pki = makePki();
  const hash = bcrypt.hashSync('s3cret', 4);
  const tls = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';
  const files: Record<string, [string, boolean]> = {
    'tls only': [tls, true],
    'mutual TLS': [tls + '  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n', true],
    'versions and ciphers': [
      tls +
        '  min_version: TLS12\n  max_version: TLS13\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n  curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: true\n',
      true,
    ],
    'basic auth only': [`basic_auth_users:\n  prometheus: ${hash}\n`, true],
    'headers and http2': ['http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n', true],
    everything: [tls + `http_server_config:\n  headers:\n    Strict-Transport-Security: max-age=3600\nbasic_auth_users:\n  prometheus: ${hash}\n`, true],
    'empty file': ['', true],
    'missing key file': ['tls_server_config:\n  cert_file: server.crt\n', false],
    'key file absent': ['tls_server_config:\n  cert_file: server.crt\n  key_file: absent.key\n', false],
    'mismatched pair': ['tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n', false],
    'unknown key': ['tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  certfile: x\n', false],
    'unknown top-level key': ['tls_config:\n  cert_file: server.crt\n', false],
    'bad TLS version': [tls + '  min_version: TLS14\n', false],
    'insecure cipher': [tls + '  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n', false],
    'bad client auth type': [tls + '  client_auth_type: Sometimes\n', false],
    'client CA without client auth': [tls + '  client_ca_file: ca.crt\n', false],
    'plain-text password': ['basic_auth_users:\n  prometheus: s3cret\n', false],
    'disallowed header': ['http_server_config:\n  headers:\n    X-Powered-By: me\n', false],
    'bad header value': ['http_server_config:\n  headers:\n    X-Frame-Options: allow\n', false],
  };
  for (const [name, [text, accept]] of Object.entries(files)) {
    const file = join(pki.dir, name.replace(/\W+/g, '-') + '.yml');
    writeFileSync(file, text);
    const ne = (await nodeExporter(file, t)) !== undefined;
    t.equal(ne, accept, `node_exporter ${accept ? 'accepts' : 'refuses'} ${name}`);
    t.equal(outrider(file), ne, `Outrider agrees on ${name}`);
  }
});

t.test('one file, the same answers from both', { skip: found ? false : `${exporter} is not installed` }, async (t) => {
  const pki = makePki();
  const file = join(pki.dir, 'web.yml');
  writeFileSync(file, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync('s3cret', 4)}\n`);
  const ne = await nodeExporter(file, t);
  t.ok(ne, 'node_exporter serves');
  const ours = new HttpServer({ name: 'agent', listen: '127.0.0.1:0', log: silentLogger(), webConfigFile: file });
  ours.route('GET', '/metrics', (_req, res) => sendText(res, 200, 'up 1\n'));
  await ours.start();
  t.teardown(() => ours.stop(0));
  const ca = pki.read(pki.caCert);
  for (const [auth, want] of [
    ['prometheus:s3cret', 200],
    ['prometheus:wrong', 401],
    ['nobody:s3cret', 401],
  ] as const) {
    t.equal(await status(`https://127.0.0.1:${ne!.port}/metrics`, ca, auth), want, `node_exporter: ${auth}`);
    t.equal(await status(`${ours.url()}/metrics`, ca, auth), want, `Outrider: ${auth}`);
  }
});
