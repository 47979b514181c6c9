/**
 * OTLP/HTTP receiver: `POST /v1/metrics` with `application/x-protobuf` or `application/json` bodies, optionally
 * gzip-compressed. Answers as the OTLP/HTTP specification says: 200 with an ExportMetricsServiceResponse (carrying
 * partial_success when some points were refused), 400 with a google.rpc.Status for a body that cannot be decoded,
 * 413 for a body (or its decompressed form) over `otlp.max_body`, 415 for another media type or content encoding.
 */
import { gunzip } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { Component } from '../../core/component';
import type { AgentContext } from '../../core/context';
import { isOutriderError } from '../../core/errors';
import { HttpServer, readBody } from '../../core/http-server';
import { OtlpDecodeError } from './model';
import type { OtlpListenerOptions } from './options';
import { OtlpEncoding, OtlpIngest } from './receiver';
import { exportResponseJson, exportResponseProto, kInvalidArgument, kResourceExhausted, statusJson, statusProto } from './response';

function gunzipBounded(body: Buffer, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => gunzip(body, { maxOutputLength: max }, (err, out) => (err ? reject(err) : resolve(out))));
}

function answer(res: ServerResponse, status: number, encoding: OtlpEncoding, body: Buffer): void {
  res.writeHead(status, { 'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf', 'Content-Length': body.length });
  res.end(body);
}

function fail(res: ServerResponse, status: number, encoding: OtlpEncoding, code: number, message: string): void {
  answer(res, status, encoding, encoding === 'json' ? statusJson(code, message) : statusProto(code, message));
}

export class OtlpHttpReceiver implements Component {
  readonly name = 'otlp-http';
  readonly #ctx: AgentContext;
  readonly #listen: string;
  readonly #server: HttpServer;
  #listening = false;

  constructor(ctx: AgentContext, o: OtlpListenerOptions, ingest: OtlpIngest) {
    this.#ctx = ctx;
    this.#listen = o.listen;
    const maxBody = o.maxBodyBytes;
    this.#server = new HttpServer({ name: 'otlp-http', listen: o.listen, log: ctx.log, requestTimeoutMs: 30_000, maxConnections: 1024 });
    this.#server.route('POST', '/v1/metrics', async (req, res) => {
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      const encoding: OtlpEncoding | undefined = type === 'application/x-protobuf' || type === 'application/protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : undefined;
      if (!encoding) {
        ingest.refuse('unsupported_media_type', 'http');
        req.resume();
        return fail(res, 415, 'json', kInvalidArgument, `unsupported Content-Type ${JSON.stringify(type)}: use application/x-protobuf or application/json`);
      }
      const ce = String(req.headers['content-encoding'] ?? 'identity')
        .trim()
        .toLowerCase();
      if (ce !== 'gzip' && ce !== 'identity' && ce !== '') {
        ingest.refuse('unsupported_encoding', 'http');
        req.resume();
        return fail(res, 415, encoding, kInvalidArgument, `unsupported Content-Encoding ${JSON.stringify(ce)}: use gzip or none`);
      }
      let body: Buffer;
      try {
        body = await readBody(req, maxBody);
        if (ce === 'gzip') body = await gunzipBounded(body, maxBody);
      } catch (err) {
        if (isOutriderError(err, 'OUTRIDER_ERR_HTTP_BODY_TOO_LARGE')) {
          ingest.refuse('too_large', 'http');
          res.setHeader('Connection', 'close');
          return fail(res, 413, encoding, kResourceExhausted, err.message);
        }
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          ingest.refuse('decompression_bomb', 'http');
          return fail(res, 413, encoding, kResourceExhausted, `the gzip body inflates past the ${maxBody}-byte limit`);
        }
        if (err instanceof Error && (err as NodeJS.ErrnoException).code?.startsWith('Z_')) {
          ingest.refuse('malformed', 'http');
          return fail(res, 400, encoding, kInvalidArgument, `the body is not valid gzip: ${err.message}`);
        }
        throw err;
      }
      try {
        const r = ingest.ingest(body, encoding, 'http');
        const message = r.rejected > 0 ? r.reasons.join('; ') : '';
        answer(res, 200, encoding, encoding === 'json' ? exportResponseJson(r.rejected, message) : exportResponseProto(r.rejected, message));
      } catch (err) {
        if (err instanceof OtlpDecodeError) return fail(res, 400, encoding, kInvalidArgument, `malformed ${encoding} ExportMetricsServiceRequest: ${err.message}`);
        throw err;
      }
    });
  }

  /** Base URL of the bound receiver; undefined when it could not listen. */
  url(): string | undefined {
    return this.#listening ? this.#server.url() : undefined;
  }

  /**
   * A listen failure (a port in use) is one ERROR line and a degraded component, not a failed agent: the host
   * metrics and the other receivers go on, and the operator moves or switches off otlp.http.listen.
   */
  async start(): Promise<void> {
    try {
      await this.#server.start();
    } catch (err) {
      if (!isOutriderError(err, 'OUTRIDER_ERR_HTTP_LISTEN')) throw err;
      const detail = `OTLP/HTTP receiver is off: ${err.message} (set otlp.http.listen to another address, or to empty to switch it off).`;
      this.#ctx.log.error({ code: 'OUTRIDER_ERR_OTLP_LISTEN', listen: this.#listen }, detail);
      this.#ctx.health.report(this.name, 'degraded', { ready: true, detail });
      return;
    }
    this.#listening = true;
    this.#ctx.health.report(this.name, 'running', { ready: true, detail: `listening on ${this.#server.url()}` });
    this.#ctx.log.info({ url: this.#server.url() + '/v1/metrics' }, 'OTLP/HTTP receiver is ready.');
  }

  async stop(): Promise<void> {
    await this.#server.stop();
  }
}
