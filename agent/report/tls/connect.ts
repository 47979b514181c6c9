/**
 * The undici side of `report.tls.*`: the `connect` options of a pool to the aggregator, and a dispatcher for remote
 * write requests. Only https:// URLs use them; skipping verification is warned about at every start.
 */
import type { ConnectionOptions } from 'node:tls';
import { Agent } from 'undici';
import type { ClientTlsOptions } from './options';

/** TLS options for undici's `connect` (undefined: Node's defaults). */
export function connectTls(tls: ClientTlsOptions | undefined): ConnectionOptions | undefined {
  if (!tls) return undefined;
  const out: ConnectionOptions = {};
  if (tls.ca) out.ca = tls.ca;
  if (tls.cert) out.cert = tls.cert;
  if (tls.key) out.key = tls.key;
  if (tls.serverName) out.servername = tls.serverName;
  if (tls.insecureSkipVerify) out.rejectUnauthorized = false;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A dispatcher for requests to `urls` with these settings, or undefined when the global one does. */
export function tlsDispatcher(tls: ClientTlsOptions | undefined): Agent | undefined {
  const connect = connectTls(tls);
  return connect ? new Agent({ connect }) : undefined;
}
