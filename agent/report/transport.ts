/**
 * HTTP transport to the aggregator on undici: one keep-alive pool per endpoint, per-request timeouts, bearer token.
 * Health checks go on connections of their own, so they never queue behind batches waiting on a stalled or busy
 * aggregator. It never throws: every outcome is a SendResult.
 */
import { Pool } from 'undici';
import { BATCH_CONTENT_TYPE, ingestPath } from '../wire/ingest';
import { connectTls } from './tls/connect';
import type { ClientTlsOptions } from './tls/options';
import { classifyStatus, SendResult } from './send-result';
import { STALLED } from './stall-watch';

/** Longest a health check (GET /healthz) may take (fixed: a short report.timeout must not make agents leave a busy aggregator). */
export const PROBE_TIMEOUT_MS = 2000;

export interface TransportOptions {
  endpoint: string;
  token: string | undefined;
  agentId: string;
  timeoutMs: number;
  connections: number;
  /** Client TLS for an https:// endpoint (report.tls.*). */
  tls?: ClientTlsOptions;
}

/** A keep-alive pool to an aggregator's origin, over TLS for https://. */
export function aggregatorPool(u: URL, connections: number, connectTimeoutMs: number, tls: ClientTlsOptions | undefined): Pool {
  return new Pool(u.origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connectTimeout: connectTimeoutMs,
    connect: u.protocol === 'https:' ? connectTls(tls) : undefined,
  });
}

/** The headers of a POST to the aggregator: content type, the agent's id and its bearer token. */
export function aggregatorHeaders(contentType: string, agentId: string, token: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType, 'x-outrider-agent': encodeURIComponent(agentId) };
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

/**
 * POSTs `body` to `path` on `pool` within `timeoutMs`; every outcome is a SendResult. `signal` abandons the request:
 * the result's reason is then `abandoned`, when given, else the error's.
 */
export async function postToAggregator(pool: Pool, path: string, headers: Record<string, string>, body: Buffer, timeoutMs: number, signal?: AbortSignal, abandoned?: string): Promise<SendResult> {
  try {
    const res = await pool.request({ path, method: 'POST', headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, ...(signal ? { signal } : {}) });
    const text = await res.body.text();
    const ra = res.headers['retry-after'];
    return classifyStatus(res.statusCode, Array.isArray(ra) ? ra[0] : ra, text);
  } catch (err) {
    if (abandoned !== undefined && signal?.aborted) return { kind: 'retryable', reason: abandoned };
    const e = err as { code?: string; message?: string };
    return { kind: 'retryable', reason: e.code ?? e.message ?? 'network error' };
  }
}

export class Transport {
  readonly endpoint: string;
  readonly #pool: Pool;
  /** Health checks: two connections (a route check and a stall check may overlap), opened on first use. */
  readonly #probePool: Pool;
  readonly #headers: Record<string, string>;
  readonly #path: string;
  readonly #timeoutMs: number;

  constructor(opts: TransportOptions) {
    const u = new URL(opts.endpoint);
    this.endpoint = opts.endpoint;
    this.#path = ingestPath(u);
    this.#pool = aggregatorPool(u, opts.connections, opts.timeoutMs, opts.tls);
    this.#probePool = aggregatorPool(u, 2, PROBE_TIMEOUT_MS, opts.tls);
    this.#timeoutMs = opts.timeoutMs;
    this.#headers = aggregatorHeaders(BATCH_CONTENT_TYPE, opts.agentId, opts.token);
  }

  /** Sends one body; `signal` abandons it (a stall watch that found the aggregator stalled). */
  async send(body: Buffer, signal?: AbortSignal): Promise<SendResult> {
    return postToAggregator(this.#pool, this.#path, this.#headers, body, this.#timeoutMs, signal, STALLED);
  }

  /** Whether the aggregator answers its health check (GET /healthz, 2xx) within the timeout. */
  async probe(): Promise<boolean> {
    try {
      // A health check answers at once or not at all: a short timeout, so a stalled aggregator is left quickly.
      const timeout = PROBE_TIMEOUT_MS;
      const res = await this.#probePool.request({
        path: this.#path.replace(/api\/v1\/ingest$/, 'healthz'),
        method: 'GET',
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool.close().catch(() => undefined), this.#probePool.close().catch(() => undefined)]);
  }
}
