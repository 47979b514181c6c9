/** The warning for report.tls.insecure_skip_verify (kept apart from connect.ts, so logging it loads no HTTP client). */
import type { Logger } from 'pino';
import type { ClientTlsOptions } from './options';

/** The loud warning insecure_skip_verify deserves, once per start. */
export function warnInsecure(tls: ClientTlsOptions | undefined, log: Logger, urls: readonly string[], prefix = 'report.tls'): void {
  if (!tls?.insecureSkipVerify) return;
  const https = urls.filter((u) => u.startsWith('https:'));
  if (https.length > 0)
    log.warn(
      { urls: https, key: `${prefix}.insecure_skip_verify` },
      `TLS certificate verification is OFF for ${prefix === 'report.tls' ? 'reporting' : 'forwarding'}: anyone on the network path can read and change what is sent. Use ${prefix}.ca_file instead.`,
    );
}
