/**
 * How the agent's reporting connects over HTTPS (`report.tls.*`: custom CA, client certificate, server name,
 * insecure_skip_verify), parsed once with the files read here, so an unreadable file is a start-up error naming its
 * key; and the refusal to send a bearer token over plain HTTP off loopback (`report.allow_insecure_token`).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/config';
import type { CrossProblem } from '../../config/cross';
import { OutriderError } from '../../core/errors';

export interface ClientTlsOptions {
  ca: Buffer | undefined;
  cert: Buffer | undefined;
  key: Buffer | undefined;
  serverName: string | undefined;
  insecureSkipVerify: boolean;
}

function read(config: Config, key: string, code: string): Buffer | undefined {
  const path = config.string(key);
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new OutriderError(code, `cannot read ${key} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * The client TLS settings under `prefix` (`report.tls`, or the aggregator's `aggregator.remote_write_tls`: the same
 * five keys ca_file, cert_file, key_file, server_name, insecure_skip_verify); throws `code` (OUTRIDER_ERR_REPORT_TLS
 * by default) when a file cannot be read or the pair does not match.
 */
export function tlsOptionsFrom(config: Config, prefix = 'report.tls', code = 'OUTRIDER_ERR_REPORT_TLS'): ClientTlsOptions {
  const opts: ClientTlsOptions = {
    ca: read(config, `${prefix}.ca_file`, code),
    cert: read(config, `${prefix}.cert_file`, code),
    key: read(config, `${prefix}.key_file`, code),
    serverName: config.string(`${prefix}.server_name`) || undefined,
    insecureSkipVerify: config.bool(`${prefix}.insecure_skip_verify`),
  };
  if ((opts.cert === undefined) !== (opts.key === undefined)) {
    throw new OutriderError(code, `${prefix}.cert_file and ${prefix}.key_file go together: set both or neither`);
  }
  // Checked only when a CA or client certificate is set: node:tls (and node:crypto under it) then loads here, not at
  // every start, and the default context it would build without them has nothing to check.
  if (opts.ca !== undefined || opts.cert !== undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('node:tls') as typeof import('node:tls')).createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key });
    } catch (err) {
      throw new OutriderError(code, `${prefix}.*: the CA, certificate and key cannot be used: ${(err as Error).message}`);
    }
  }
  return opts;
}

/** Whether a URL's host is this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackUrl(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * A bearer token over plain http:// to another host travels in clear text: refused, naming report.endpoints, unless
 * report.allow_insecure_token says so.
 */
export function checkTokenTransport(config: Config): CrossProblem[] {
  if (!config.string('report.token') && !config.string('report.token_file')) return [];
  if (config.bool('report.allow_insecure_token')) return [];
  const plain = config.list<string>('report.endpoints').filter((e) => {
    const u = new URL(e);
    return u.protocol === 'http:' && !isLoopbackUrl(u);
  });
  if (plain.length === 0) return [];
  return [
    {
      key: 'report.endpoints',
      value: plain.join(','),
      expected:
        'https:// URLs (or loopback addresses) while a bearer token is set (report.token_file or report.token): over plain http:// the token travels in clear text. Set report.allow_insecure_token: true to send it anyway',
    },
  ];
}
