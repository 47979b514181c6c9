/**
 * A throw-away PKI made by `openssl` for TLS tests: a CA, a server certificate for 127.0.0.1/localhost and a client
 * certificate, both signed by the CA, plus a second CA nothing trusts. Files land in a fresh temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA the server does not know. */
  strangerCert: string;
  strangerKey: string;
  read(path: string): Buffer;
}

function ssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function ca(dir: string, name: string): void {
  ssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

/** A key and a certificate for `cn` with `san`, signed by CA `by`. */
export function issue(dir: string, name: string, cn: string, san: string, by: string, usage: 'serverAuth' | 'clientAuth'): void {
  ssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  ssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-pki-'));
  ca(dir, 'ca');
  ca(dir, 'stranger-ca');
  issue(dir, 'server', 'localhost', 'DNS:localhost,IP:127.0.0.1,IP:::1', 'ca', 'serverAuth');
  issue(dir, 'client', 'agent-1', 'DNS:agent-1.example', 'ca', 'clientAuth');
  issue(dir, 'stranger', 'stranger', 'DNS:stranger.example', 'stranger-ca', 'clientAuth');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
    read: (path) => readFileSync(path),
  };
}
