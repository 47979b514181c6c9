/**
 * Scrape over HTTPS with tls_config (ca_file, cert_file, key_file, server_name, insecure_skip_verify): a loopback
 * server that requires a client certificate, a rotated certificate picked up at the next scrape, config errors, and
 * a real node_exporter behind its own TLS web config.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { targetFromConfig } from '../../../agent/collectors/scrape/targets';
import { makePki } from '../../helpers/tls-certs';
import { defaults, scraper, valueOf } from './helpers';

const pki = makePki();
t.teardown(() => rmSync(pki.dir, { recursive: true, force: true }));

async function httpsApp() {
  const server = createServer({ cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey), ca: pki.read(pki.caCert), requestCert: true, rejectUnauthorized: true }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end('secret_metric 42\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `https://127.0.0.1:${port}/metrics`, host: `127.0.0.1:${port}`, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

t.test('mutual TLS: the CA, the client certificate and the server name decide', async (t) => {
  const app = await httpsApp();
  t.teardown(app.close);
  const client = { ca_file: pki.caCert, cert_file: pki.clientCert, key_file: pki.clientKey };
  const { scraper: s, store } = scraper([
    { url: app.url, job: 'ok', tls_config: client },
    { url: app.url, job: 'no_client_cert', tls_config: { ca_file: pki.caCert } },
    { url: app.url, job: 'unknown_ca', tls_config: { cert_file: pki.clientCert, key_file: pki.clientKey } },
    { url: app.url, job: 'skip_verify', tls_config: { cert_file: pki.clientCert, key_file: pki.clientKey, insecure_skip_verify: true } },
    { url: app.url, job: 'wrong_name', tls_config: { ...client, server_name: 'other.example' } },
    { url: app.url, job: 'right_name', tls_config: { ...client, server_name: 'localhost' } },
  ]);
  t.teardown(() => s.stop());
  await s.scrapeAll();
  const health = Object.fromEntries(s.targets().map((x) => [x.spec.job, x.health]));
  t.same(
    health,
    { ok: 'up', no_client_cert: 'down', unknown_ca: 'down', skip_verify: 'up', wrong_name: 'down', right_name: 'up' },
    s
      .targets()
      .map((x) => `${x.spec.job}: ${x.lastError}`)
      .join('\n'),
  );
  t.equal(valueOf(store, 'secret_metric', { job: 'ok', instance: app.host }), 42);
  t.match(s.targets().find((x) => x.spec.job === 'unknown_ca')!.lastError, /certificate/);
  t.match(s.targets().find((x) => x.spec.job === 'wrong_name')!.lastError, /other\.example|altnames|Hostname/);
});

t.test('a rotated client certificate is used from the next scrape on', async (t) => {
  const app = await httpsApp();
  t.teardown(app.close);
  const cert = join(pki.dir, 'rotating.crt');
  const key = join(pki.dir, 'rotating.key');
  copyFileSync(pki.clientCert, cert);
  copyFileSync(pki.clientKey, key);
  const { scraper: s } = scraper([{ url: app.url, job: 'rot', tls_config: { ca_file: pki.caCert, cert_file: cert, key_file: key } }]);
  t.teardown(() => s.stop());
  await s.scrapeAll();
  t.equal(s.targets()[0]!.health, 'up', s.targets()[0]!.lastError);
  // A certificate from a CA the server does not trust replaces it: the next scrape presents it and is refused.
  copyFileSync(pki.strangerCert, cert);
  copyFileSync(pki.strangerKey, key);
  await s.scrapeAll();
  t.equal(s.targets()[0]!.health, 'down');
  copyFileSync(pki.clientCert, cert);
  copyFileSync(pki.clientKey, key);
  await s.scrapeAll();
  t.equal(s.targets()[0]!.health, 'up', s.targets()[0]!.lastError);
});

t.test('tls_config errors name the entry and the field', async (t) => {
  const err = (tls: unknown) => {
    try {
      targetFromConfig({ url: 'https://127.0.0.1:1/metrics', tls_config: tls }, 3, defaults);
      return '';
    } catch (e) {
      return (e as Error & { code?: string }).code + ' ' + (e as Error).message;
    }
  };
  t.match(err({ cert_file: pki.clientCert }), /OUTRIDER_ERR_SCRAPE_CONFIG scrape\.targets\[3\]\.tls_config: cert_file and key_file go together/);
  t.match(err({ ca_file: join(pki.dir, 'missing.crt') }), /scrape\.targets\[3\]\.tls_config: cannot read a file: ENOENT/);
  t.match(err({ ca_file: pki.caCert, min_versoin: 'TLS12' }), /tls_config\.min_versoin: unknown field/);
  t.match(err({ cert_file: pki.clientCert, key_file: pki.strangerKey }), /cannot be used/);
  t.match(err({ insecure_skip_verify: 'yes' }), /insecure_skip_verify: expected true or false/);
  t.equal(err({ ca_file: pki.caCert }), '');
});

const exporter = '/usr/bin/prometheus-node-exporter';
t.test('a real node_exporter behind TLS with client certificates', { skip: existsSync(exporter) ? false : `${exporter} is not installed` }, async (t) => {
  const web = join(pki.dir, 'web.yml');
  writeFileSync(web, `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n  client_ca_file: ${pki.caCert}\n  client_auth_type: RequireAndVerifyClientCert\n`);
  const p = spawn(exporter, ['--collector.disable-defaults', '--collector.loadavg', '--web.listen-address=127.0.0.1:0', `--web.config.file=${web}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => void p.kill('SIGKILL'));
  let log = '';
  const addr = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node_exporter did not listen: ${log}`)), 20_000);
    p.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /address=(127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const { scraper: s, store } = scraper([
    { url: `https://${addr}/metrics`, job: 'node', tls_config: { ca_file: pki.caCert, cert_file: pki.clientCert, key_file: pki.clientKey } },
    { url: `https://${addr}/metrics`, job: 'anonymous', tls_config: { ca_file: pki.caCert } },
  ]);
  t.teardown(() => s.stop());
  await s.scrapeAll();
  const [node, anon] = s.targets();
  t.equal(node!.health, 'up', node!.lastError);
  t.type(valueOf(store, 'node_load1', { job: 'node', instance: addr }), 'number');
  t.equal(anon!.health, 'down', 'node_exporter refuses a client without a certificate');
});
