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
    this.#pool = new Pool(u.origin, {
      connections: opts.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: opts.timeoutMs,
      connect: u.protocol === 'https:' ? connectTls(opts.tls) : undefined,
    });
    this.#probePool = new Pool(u.origin, {
      connections: 2,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: PROBE_TIMEOUT_MS,
      connect: u.protocol === 'https:' ? connectTls(opts.tls) : undefined,
    });
    this.#timeoutMs = opts.timeoutMs;
    this.#headers = { 'content-type': BATCH_CONTENT_TYPE, 'x-outrider-agent': encodeURIComponent(opts.agentId) };
    if (opts.token) this.#headers.authorization = `Bearer ${opts.token}`;
  }

  /** Sends one body; `signal` abandons it (a stall watch that found the aggregator stalled). */
  async send(body: Buffer, signal?: AbortSignal): Promise<SendResult> {
    try {
      const res = await this.#pool.request({
        path: this.#path,
        method: 'POST',
        headers: this.#headers,
        body,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        ...(signal ? { signal } : {}),
      });
      const text = await res.body.text();
      const ra = res.headers['retry-after'];
      return classifyStatus(res.statusCode, Array.isArray(ra) ? ra[0] : ra, text);
    } catch (err) {
      if (signal?.aborted) return { kind: 'retryable', reason: STALLED };
      const e = err as { code?: string; message?: string };
      return { kind: 'retryable', reason: e.code ?? e.message ?? 'network error' };
    }
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
