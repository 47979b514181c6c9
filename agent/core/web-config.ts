/**
 * The web configuration file of the Prometheus exporter toolkit (`--web.config.file`, the file node_exporter and
 * Prometheus read), parsed and checked. Its format:
 *
 *   tls_server_config:          # absent or empty: plain HTTP
 *     cert_file: server.crt     # relative paths are relative to this file's directory
 *     key_file: server.key
 *     client_ca_file: ca.crt
 *     client_auth_type: RequireAndVerifyClientCert   # NoClientCert (default), RequestClientCert,
 *                               # RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert
 *     client_allowed_sans: [agent.example]           # only with a client_auth_type that requires a certificate
 *     min_version: TLS12        # TLS10..TLS13 (default TLS12); max_version likewise (default TLS13)
 *     cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]  # Go's names; TLS 1.2 and below
 *     curve_preferences: [X25519, CurveP256]
 *     prefer_server_cipher_suites: true
 *   http_server_config:
 *     http2: true               # accepted; the server speaks HTTP/1.1
 *     headers: {X-Frame-Options: deny}   # the security headers the toolkit allows, added to every answer
 *   basic_auth_users:           # user: bcrypt hash; every request must then carry one of them
 *     prometheus: $2y$10$...
 *
 * As in the toolkit, an unknown key is an error and so is anything the toolkit would refuse; nothing here reads the
 * certificate files (web-config-tls.ts does, at start and on every reload).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { OutriderError } from './errors';
import { yaml } from '../config/yaml';

export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';

export interface WebTlsSettings {
  certFile: string;
  keyFile: string;
  clientCaFile: string | undefined;
  clientAuth: ClientAuthType;
  allowedSans: readonly string[] | undefined;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** OpenSSL cipher list for TLS 1.2 and below (undefined: Node's default). */
  ciphers: string | undefined;
  /** OpenSSL curve list (undefined: Node's default). */
  ecdhCurve: string | undefined;
  honorCipherOrder: boolean;
}

export interface WebConfig {
  file: string;
  /** Undefined: plain HTTP. */
  tls: WebTlsSettings | undefined;
  /** User name → bcrypt hash; empty: no authentication. */
  users: ReadonlyMap<string, string>;
  headers: Readonly<Record<string, string>>;
}

const versions: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const versionOrder: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const clientAuthTypes: Record<string, ClientAuthType> = {
  '': 'NoClientCert',
  NoClientCert: 'NoClientCert',
  RequestClientCert: 'RequestClientCert',
  RequireAnyClientCert: 'RequireAnyClientCert',
  RequireClientCert: 'RequireAnyClientCert', // the toolkit's older spelling
  VerifyClientCertIfGiven: 'VerifyClientCertIfGiven',
  RequireAndVerifyClientCert: 'RequireAndVerifyClientCert',
};

/** Go's names of the cipher suites it calls secure (tls.CipherSuites()) → OpenSSL's; TLS 1.3 suites are always on. */
const cipherSuites: Record<string, string | null> = {
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};
const curves: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The headers the toolkit lets a web config add, with the values it checks. */
const headerRules: Record<string, ((v: string) => string | undefined) | null> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': (v) => (v.toLowerCase() === 'nosniff' ? undefined : 'only nosniff'),
  'X-Frame-Options': (v) => (['deny', 'sameorigin'].includes(v.toLowerCase()) ? undefined : 'deny or sameorigin'),
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/** A bcrypt hash as the toolkit checks it (Go's bcrypt.Cost): version, cost 4..31, salt and digest. */
const bcryptHash = /^\$2[abxy]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

function fail(file: string, where: string, what: string): never {
  throw new OutriderError('OUTRIDER_ERR_WEB_CONFIG', `web config ${file}: ${where ? where + ': ' : ''}${what}`, { file });
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function section(file: string, v: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isMap(v)) fail(file, where, 'expected a map');
  for (const k of Object.keys(v)) if (!allowed.includes(k)) fail(file, where, `unknown key ${JSON.stringify(k)} (known: ${allowed.join(', ')})`);
  return v;
}

function str(file: string, v: unknown, where: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(file, where, 'expected a string');
  return v;
}

function strList(file: string, v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(file, where, 'expected a list of strings');
  return v as string[];
}

function bool(file: string, v: unknown, where: string, def: boolean): boolean {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') fail(file, where, 'expected true or false');
  return v;
}

function version(file: string, v: unknown, where: string, def: SecureVersion): SecureVersion {
  const s = str(file, v, where);
  if (!s) return def;
  const got = versions[s];
  if (!got) fail(file, where, `unknown TLS version ${JSON.stringify(s)} (expected one of ${Object.keys(versions).join(', ')})`);
  return got;
}

function parseTls(file: string, v: unknown): WebTlsSettings | undefined {
  const keys = [
    'cert_file',
    'key_file',
    'client_ca_file',
    'client_auth_type',
    'client_allowed_sans',
    'cipher_suites',
    'curve_preferences',
    'min_version',
    'max_version',
    'prefer_server_cipher_suites',
  ];
  const s = section(file, v, 'tls_server_config', keys);
  const w = (k: string) => `tls_server_config.${k}`;
  const certFile = str(file, s.cert_file, w('cert_file'));
  const keyFile = str(file, s.key_file, w('key_file'));
  const caFile = str(file, s.client_ca_file, w('client_ca_file'));
  const authName = str(file, s.client_auth_type, w('client_auth_type'));
  if (!certFile && !keyFile && !caFile && !authName) {
    // The toolkit serves plain HTTP when none of these is set; the remaining TLS keys are still checked.
    for (const k of ['min_version', 'max_version']) version(file, s[k], w(k), 'TLSv1.2');
    return undefined;
  }
  if (!certFile) fail(file, w('cert_file'), 'missing: TLS needs cert_file and key_file');
  if (!keyFile) fail(file, w('key_file'), 'missing: TLS needs cert_file and key_file');
  const clientAuth = clientAuthTypes[authName];
  if (!clientAuth) fail(file, w('client_auth_type'), `unknown ${JSON.stringify(authName)} (expected one of ${Object.keys(clientAuthTypes).filter(Boolean).join(', ')})`);
  if (caFile && clientAuth === 'NoClientCert') fail(file, w('client_ca_file'), 'a client CA is set but client_auth_type does not ask for client certificates');
  const allowedSans = strList(file, s.client_allowed_sans, w('client_allowed_sans'));
  if (allowedSans && clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert') {
    fail(file, w('client_allowed_sans'), 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert');
  }
  const suites = strList(file, s.cipher_suites, w('cipher_suites'));
  const openssl: string[] = [];
  for (const c of suites ?? []) {
    if (!(c in cipherSuites)) fail(file, w('cipher_suites'), `unknown cipher ${JSON.stringify(c)} (Go's names of secure suites, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`);
    const name = cipherSuites[c];
    if (name) openssl.push(name);
  }
  const curveNames = strList(file, s.curve_preferences, w('curve_preferences'))?.map(
    (c) => curves[c] ?? fail(file, w('curve_preferences'), `unknown curve ${JSON.stringify(c)} (expected ${Object.keys(curves).join(', ')})`),
  );
  const minVersion = version(file, s.min_version, w('min_version'), 'TLSv1.2');
  const maxVersion = version(file, s.max_version, w('max_version'), 'TLSv1.3');
  if (versionOrder.indexOf(minVersion) > versionOrder.indexOf(maxVersion)) fail(file, w('min_version'), 'is above max_version');
  const rel = (p: string) => (isAbsolute(p) ? p : join(dirname(file), p));
  return {
    certFile: rel(certFile),
    keyFile: rel(keyFile),
    clientCaFile: caFile ? rel(caFile) : undefined,
    clientAuth,
    allowedSans,
    minVersion,
    maxVersion,
    ciphers: openssl.length > 0 ? openssl.join(':') : undefined,
    ecdhCurve: curveNames && curveNames.length > 0 ? curveNames.join(':') : undefined,
    honorCipherOrder: bool(file, s.prefer_server_cipher_suites, w('prefer_server_cipher_suites'), true),
  };
}

/** Parses the text of a web config file (`file` names it in errors and anchors its relative paths). */
export function parseWebConfig(text: string, file: string): WebConfig {
  let doc: unknown;
  try {
    const { parse } = yaml();
    doc = parse(text, { uniqueKeys: true });
  } catch (err) {
    fail(file, '', `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const top = section(file, doc, '', ['tls_server_config', 'http_server_config', 'basic_auth_users']);
  const tls = parseTls(file, top.tls_server_config);
  const http = section(file, top.http_server_config, 'http_server_config', ['http2', 'headers']);
  bool(file, http.http2, 'http_server_config.http2', true);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(section(file, http.headers, 'http_server_config.headers', Object.keys(headerRules)))) {
    const v = str(file, value, `http_server_config.headers.${name}`);
    const why = headerRules[name]?.(v);
    if (why) fail(file, `http_server_config.headers.${name}`, `${JSON.stringify(v)} is not allowed (${why})`);
    headers[name] = v;
  }
  const users = new Map<string, string>();
  const auth = top.basic_auth_users;
  if (auth !== undefined && auth !== null) {
    if (!isMap(auth)) fail(file, 'basic_auth_users', 'expected a map of user name to bcrypt hash');
    for (const [user, hash] of Object.entries(auth)) {
      // The hash is never echoed: a file may be read by people who may not see it.
      if (typeof hash !== 'string' || !bcryptHash.test(hash)) fail(file, `basic_auth_users.${user}`, 'not a bcrypt hash (make one with `htpasswd -nBC 10 "" | tr -d \':\\n\'`)');
      users.set(user, hash);
    }
  }
  return { file, tls, users, headers };
}

/** Reads and parses a web config file; throws OUTRIDER_ERR_WEB_CONFIG naming the file and the key at fault. */
export function readWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(file, '', `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseWebConfig(text, file);
}
