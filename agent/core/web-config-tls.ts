/**
 * The TLS side of a web config: the files it names read into Node's secure-context options (checked by building a
 * context, so a mismatched pair or an unreadable CA is an error before anything is served), and the client
 * certificate rules Node's own options do not cover (RequireAnyClientCert, VerifyClientCertIfGiven,
 * client_allowed_sans), checked on each new TLS connection.
 */
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext, SecureContextOptions, TLSSocket } from 'node:tls';
import { OutriderError } from './errors';
import type { WebTlsSettings } from './web-config';

export interface TlsMaterial {
  /** What `https.createServer` and `setSecureContext` take. */
  context: SecureContextOptions;
  /** Ask the client for a certificate. */
  requestCert: boolean;
  /** Refuse the handshake when the client's certificate does not verify against the CA (RequireAndVerifyClientCert). */
  rejectUnauthorized: boolean;
}

function read(path: string, key: string, file: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new OutriderError('OUTRIDER_ERR_WEB_CONFIG', `web config ${file}: tls_server_config.${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
}

/** Reads the certificate, key and client CA; throws OUTRIDER_ERR_WEB_CONFIG when they cannot serve. */
export function loadTlsMaterial(tls: WebTlsSettings, file: string): TlsMaterial {
  const context: SecureContextOptions = {
    cert: read(tls.certFile, 'cert_file', file),
    key: read(tls.keyFile, 'key_file', file),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    honorCipherOrder: tls.honorCipherOrder,
  };
  if (tls.clientCaFile) {
    const ca = read(tls.clientCaFile, 'client_ca_file', file);
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new OutriderError('OUTRIDER_ERR_WEB_CONFIG', `web config ${file}: tls_server_config.client_ca_file: ${tls.clientCaFile} holds no PEM certificate`, { file });
    context.ca = ca;
  }
  if (tls.ciphers) context.ciphers = tls.ciphers;
  if (tls.ecdhCurve) context.ecdhCurve = tls.ecdhCurve;
  try {
    createSecureContext(context);
  } catch (err) {
    throw new OutriderError('OUTRIDER_ERR_WEB_CONFIG', `web config ${file}: tls_server_config: the certificate, key and settings do not form a usable TLS configuration: ${(err as Error).message}`, {
      file,
    });
  }
  return { context, requestCert: tls.clientAuth !== 'NoClientCert', rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert' };
}

/** Why a new TLS connection must be closed under `tls`'s client certificate rules, or undefined to keep it. */
export function refusePeer(socket: TLSSocket, tls: WebTlsSettings): string | undefined {
  if (tls.clientAuth === 'NoClientCert' || tls.clientAuth === 'RequestClientCert') return undefined;
  const cert = socket.getPeerCertificate();
  const given = cert !== null && Object.keys(cert).length > 0;
  if (!given) return tls.clientAuth === 'VerifyClientCertIfGiven' ? undefined : 'no client certificate';
  if ((tls.clientAuth === 'VerifyClientCertIfGiven' || tls.clientAuth === 'RequireAndVerifyClientCert') && !socket.authorized) {
    return `client certificate not trusted: ${String(socket.authorizationError)}`;
  }
  if (tls.allowedSans) {
    const sans = (cert.subjectaltname ?? '').split(/,\s*/).map((s) => s.replace(/^(DNS|IP Address|email|URI):/, ''));
    if (!sans.some((s) => tls.allowedSans!.includes(s))) return 'client certificate names no allowed SAN';
  }
  return undefined;
}

/** A cheap identity of the files a web config uses (itself included), to notice that one changed. */
export function fileStamps(paths: readonly string[]): string {
  return paths
    .map((p) => {
      try {
        const s = statSync(p);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}
