/**
 * `outrider injector` as a component: an HTTPS server (the shared HttpServer) answering AdmissionReviews on
 * POST /mutate, with /healthz, /readyz and its own /metrics. The certificate and key come from files and are
 * swapped in when they change.
 */
import type { Logger } from 'pino';
import type { Component } from '../../core/component';
import { isOutriderError } from '../../core/errors';
import { RateLimiter } from '../../core/log';
import { Telemetry } from '../../core/telemetry';
import { HttpServer, readBody, sendJson, sendText } from '../../core/http-server';
import type { InjectOptions } from '../inject/options';
import type { InjectorOptions } from './options';
import { handleReview, malformed } from './admission';
import { TlsWatcher } from './tls-files';

export const mutatePath = '/mutate';

export class Injector implements Component {
  readonly name = 'injector';
  readonly telemetry = new Telemetry({ runtimeMetrics: true });
  readonly #options: InjectorOptions;
  readonly #log: Logger;
  readonly #opts: InjectOptions;
  readonly #tls: TlsWatcher;
  readonly #limiter = new RateLimiter(60_000, 5);
  #server: HttpServer | undefined;
  #started = false;

  constructor(opts: { options: InjectorOptions; log: Logger }) {
    this.#options = opts.options;
    this.#log = opts.log;
    this.#opts = opts.options.inject;
    this.#tls = new TlsWatcher(opts.options.tlsCert, opts.options.tlsKey);
    this.telemetry.setBuildInfo(false);
  }

  url(): string | undefined {
    return this.#server?.url();
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const reviews = this.telemetry.counter('outrider_injector_reviews_total', 'AdmissionReviews answered, by outcome (injected, already-injected, disabled, ignored, error, malformed) and dry_run.', [
      'outcome',
      'dry_run',
    ]);
    const reloads = this.telemetry.counter('outrider_injector_certificate_reloads_total', 'Certificate reloads, by result (ok, error).', ['result']);
    const requests = this.telemetry.counter('outrider_http_requests_total', 'Requests served by the injector, by path and status code.', ['path', 'code']);
    const pair = this.#tls.load();
    const server = new HttpServer({
      name: 'injector',
      listen: this.#options.listen,
      log: this.#log,
      tls: pair,
      // The API server gives a webhook 10s by default (30s at most).
      requestTimeoutMs: 30_000,
      maxConnections: 512,
      onRequest: (path, _m, status) => requests.inc({ path, code: String(status) }),
    });
    const maxBody = this.#options.maxBodyBytes;
    server.route('POST', mutatePath, async (req, res) => {
      let body: Buffer;
      try {
        body = await readBody(req, maxBody);
      } catch (err) {
        const r = malformed(isOutriderError(err, 'OUTRIDER_ERR_HTTP_BODY_TOO_LARGE') ? `the request body is larger than ${maxBody} bytes` : 'the request body could not be read');
        reviews.inc({ outcome: r.outcome, dry_run: 'false' });
        res.setHeader('Connection', 'close');
        sendJson(res, 200, r.review);
        return;
      }
      const r = handleReview(body, this.#opts);
      reviews.inc({ outcome: r.outcome, dry_run: String(r.dryRun) });
      const resp = r.review.response as { uid: string };
      if (r.outcome === 'malformed' || r.outcome === 'error') {
        if (this.#limiter.allow(r.outcome)) this.#log.warn({ uid: resp.uid, outcome: r.outcome, warnings: r.warnings }, 'Admitted an object without injecting.');
      } else {
        this.#log.debug({ uid: resp.uid, outcome: r.outcome, dryRun: r.dryRun }, 'AdmissionReview answered.');
      }
      sendJson(res, 200, r.review);
    });
    server.route('GET', '/healthz', (_req, res) => sendText(res, 200, 'ok\n'));
    server.route('GET', '/readyz', (_req, res) => sendText(res, 200, 'ready\n'));
    server.route('GET', '/metrics', async (_req, res) => {
      sendText(res, 200, await this.telemetry.registry.metrics(), this.telemetry.registry.contentType);
    });
    await server.start();
    this.#server = server;
    this.#tls.watch(
      this.#options.certCheckIntervalMs,
      (p) => {
        server.setSecureContext(p);
        reloads.inc({ result: 'ok' });
        this.#log.info('TLS certificate reloaded.');
      },
      (err) => {
        reloads.inc({ result: 'error' });
        this.#log.warn({ err: err.message }, 'The TLS files changed but cannot be used yet; the previous certificate stays in service.');
      },
    );
    this.#log.info({ url: server.url(), path: mutatePath }, 'Outrider injector is ready.');
  }

  /** Checks the certificate files now (tests; the watcher does this periodically). */
  checkCertificate(): boolean {
    return this.#tls.check(
      (p) => this.#server?.setSecureContext(p),
      () => undefined,
    );
  }

  async stop(): Promise<void> {
    this.#tls.stop();
    await this.#server?.stop();
  }
}
