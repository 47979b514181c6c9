/**
 * A target's `tls_config`, as Prometheus names it: `ca_file`, `cert_file`, `key_file`, `server_name`,
 * `insecure_skip_verify`. The files are read when the config is checked (an unreadable file or a certificate that does
 * not match its key is a config error naming the field) and again before each scrape, so a rotated certificate is
 * used from the next scrape on: the target's connection pool is replaced when a file's content changed.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'undici';

export interface ScrapeTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify: boolean;
}

const fields = new Set(['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify']);

interface Material {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function read(t: ScrapeTls): Material {
  return {
    ca: t.caFile ? readFileSync(t.caFile) : undefined,
    cert: t.certFile ? readFileSync(t.certFile) : undefined,
    key: t.keyFile ? readFileSync(t.keyFile) : undefined,
  };
}

/** Parses and checks one `tls_config`; `bad` throws the config error. */
export function tlsFromConfig(where: string, raw: unknown, bad: (where: string, message: string) => never): ScrapeTls {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(where, 'expected a mapping (ca_file, cert_file, key_file, server_name, insecure_skip_verify)');
  const e = raw as Record<string, unknown>;
  for (const k of Object.keys(e)) if (!fields.has(k)) bad(`${where}.${k}`, 'unknown field');
  for (const k of ['ca_file', 'cert_file', 'key_file', 'server_name']) if (e[k] !== undefined && (typeof e[k] !== 'string' || e[k] === '')) bad(`${where}.${k}`, 'expected a non-empty string');
  if (e.insecure_skip_verify !== undefined && typeof e.insecure_skip_verify !== 'boolean') bad(`${where}.insecure_skip_verify`, 'expected true or false');
  const t: ScrapeTls = {
    caFile: e.ca_file as string | undefined,
    certFile: e.cert_file as string | undefined,
    keyFile: e.key_file as string | undefined,
    serverName: e.server_name as string | undefined,
    insecureSkipVerify: e.insecure_skip_verify === true,
  };
  if ((t.certFile === undefined) !== (t.keyFile === undefined)) bad(where, 'cert_file and key_file go together: set both or neither');
  let m: Material;
  try {
    m = read(t);
  } catch (err) {
    bad(where, `cannot read a file: ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`.trim());
  }
  try {
    // node:tls loads with the first target that has TLS material, not at every start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('node:tls') as typeof import('node:tls')).createSecureContext(m);
  } catch (err) {
    bad(where, `the CA, certificate and key cannot be used: ${(err as Error).message}`);
  }
  return t;
}

/** One target's TLS connection pool, rebuilt when its files change. */
export class TlsPool {
  readonly #tls: ScrapeTls;
  #material: Material | undefined;
  #agent: Agent | undefined;

  constructor(tls: ScrapeTls) {
    this.#tls = tls;
  }

  /** The pool to scrape with now (a file that cannot be read now throws: that scrape fails, with the reason). */
  dispatcher(): Agent {
    const m = read(this.#tls);
    const same = (a?: Buffer, b?: Buffer) => (a === undefined ? b === undefined : b !== undefined && a.equals(b));
    if (this.#agent && this.#material && same(m.ca, this.#material.ca) && same(m.cert, this.#material.cert) && same(m.key, this.#material.key)) return this.#agent;
    void this.#agent?.close().catch(() => undefined);
    this.#material = m;
    // undici loads only when a target scrapes over TLS: the default agent never loads the HTTP client.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Agent: Pool } = require('undici') as typeof import('undici');
    this.#agent = new Pool({
      connections: 1,
      keepAliveTimeout: 60_000,
      connect: {
        ca: m.ca,
        cert: m.cert,
        key: m.key,
        servername: this.#tls.serverName,
        rejectUnauthorized: !this.#tls.insecureSkipVerify,
      },
    });
    return this.#agent;
  }

  async close(): Promise<void> {
    await this.#agent?.close().catch(() => undefined);
    this.#agent = undefined;
  }
}
