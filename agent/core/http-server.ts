/**
 * A small HTTP server on node's own `http` module, shared by the agent endpoint, the aggregator and the injector.
 * Routes are exact paths; an unknown path is 404 and a known path with another method is 405 with `Allow`.
 * Limits: request timeout, header timeout (both enforced within a second), a connection cap or connection limits
 * (connection-limits.ts: per address, reserved slots, eviction of idle sockets). The timeouts are checked only while a
 * connection is open: an idle server sets no timer. Stop refuses new connections, lets requests in
 * flight finish within a grace period, then closes what is left.
 *
 * With a web config file (web-config.ts, the exporter toolkit's format) the server speaks TLS, checks client
 * certificates and basic auth, and adds the configured headers; the file is re-read when it or its certificates change
 * and on SIGHUP (web-config-watch.ts).
 */
import http, { IncomingMessage, ServerResponse } from 'node:http';
import type https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { parseHostPort } from '../config/coerce';
import type { ConnectionLimits } from './connection-limits';
import { OutriderError } from './errors';
import type { WebConfigWatcher, WebSettings } from './web-config-watch';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface HttpServerOptions {
  name: string;
  listen: string;
  log: Logger;
  requestTimeoutMs?: number;
  maxConnections?: number;
  /** TLS material: an https server is created when present. */
  tls?: { key: Buffer | string; cert: Buffer | string };
  /** Longest wait for a request's headers (default min(request timeout, 15 s)). */
  headersTimeoutMs?: number;
  /** How often request and header timeouts are checked (default: a quarter of the header timeout, 100 ms-1 s). */
  timeoutCheckMs?: number;
  /** Called for every accepted connection; false closes it at once (connection limits). */
  admit?: (socket: Socket) => boolean;
  /** Connection limits (core/connection-limits.ts): per-address caps, reserved slots, eviction of idle sockets. */
  limits?: ConnectionLimits;
  /** Called before a routed handler; returns false when it answered the request itself (e.g. 401). */
  guard?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
  /** Exporter-toolkit web config file (TLS, basic auth, headers); a bad file throws OUTRIDER_ERR_WEB_CONFIG. */
  webConfigFile?: string;
  /** How often the web config and its certificates are checked for changes (default 10 s). */
  webConfigCheckMs?: number;
  /** Paths basic auth does not cover because they authenticate otherwise (the aggregator's bearer-token ingest). */
  authExempt?: ReadonlySet<string>;
  /** Called for every finished request (telemetry). */
  onRequest?: (path: string, method: string, status: number) => void;
}

export class HttpServer {
  readonly name: string;
  readonly #opts: HttpServerOptions;
  readonly #routes = new Map<string, Map<string, Handler>>();
  readonly #prefixes: { prefix: string; path: string }[] = [];
  readonly #server: http.Server | https.Server;
  /** An https server (TLS from the web config or `tls`). */
  readonly #secure: boolean;
  readonly #sockets = new Set<Socket>();
  #inflight = 0;
  #listening = false;
  #stopping: Promise<void> | undefined;
  readonly #watcher: WebConfigWatcher | undefined;
  #web: WebSettings | undefined;
  readonly #checkMs: number;
  /** Node's check of the header and request timeouts, taken from its timer (see #takeOverTimeoutCheck). */
  #checkConnections: (() => void) | undefined;
  #checkTimer: NodeJS.Timeout | undefined;

  constructor(opts: HttpServerOptions) {
    this.name = opts.name;
    this.#opts = opts;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res);
    const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    const headersTimeoutMs = Math.min(requestTimeoutMs, opts.headersTimeoutMs ?? 15_000);
    // Node checks both timeouts only every connectionsCheckingInterval (30 s unless set): a slow client would hold
    // its slot for up to the timeout plus 30 s. A fraction of the header timeout makes it hold for the timeout.
    this.#checkMs = opts.timeoutCheckMs ?? Math.max(100, Math.min(1000, Math.floor(headersTimeoutMs / 4)));
    const check = { connectionsCheckingInterval: this.#checkMs };
    // node:https, node:tls and the web config's modules load only for a server that speaks TLS or has a web config
    // file: the default agent serves plain HTTP, and they are a few ms of its start (bench/README.md, "Cold start").
    /* eslint-disable @typescript-eslint/no-require-imports */
    if (opts.webConfigFile) {
      const { WebConfigWatcher } = require('./web-config-watch') as typeof import('./web-config-watch');
      this.#watcher = new WebConfigWatcher(opts.webConfigFile, opts.log);
      this.#web = this.#watcher.current;
    }
    const web = this.#web?.tls;
    this.#secure = web !== undefined || opts.tls !== undefined;
    const https = this.#secure ? (require('node:https') as typeof import('node:https')) : undefined;
    if (web && https) {
      const { refusePeer } = require('./web-config-tls') as typeof import('./web-config-tls');
      this.#server = https.createServer({ ...web.context, requestCert: web.requestCert, rejectUnauthorized: web.rejectUnauthorized, ...check }, handler);
      this.#server.on('secureConnection', (s: TLSSocket) => {
        const tls = this.#web?.config.tls;
        const why = tls && refusePeer(s, tls);
        if (why) {
          this.#opts.log.debug({ server: this.name, remote: s.remoteAddress, why }, 'TLS connection refused.');
          s.destroy();
        }
      });
    } else if (opts.tls && https) {
      this.#server = https.createServer({ key: opts.tls.key, cert: opts.tls.cert, ...check }, handler);
    } else {
      this.#server = http.createServer(check, handler);
    }
    /* eslint-enable @typescript-eslint/no-require-imports */
    this.#server.requestTimeout = requestTimeoutMs;
    this.#server.headersTimeout = headersTimeoutMs;
    this.#server.keepAliveTimeout = 5_000;
    this.#server.maxHeadersCount = 100;
    // With limits, they decide (and may evict to make room): Node's own cap only stops what they let through.
    if (opts.limits) this.#server.maxConnections = opts.limits.maxConnections + 64;
    else if (opts.maxConnections !== undefined) this.#server.maxConnections = opts.maxConnections;
    const limits = opts.limits;
    if (limits) {
      this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const s = req.socket;
        limits.requestStarted(s);
        res.once('close', () => limits.requestEnded(s));
      });
    }
    this.#server.on('connection', (s: Socket) => {
      if (opts.admit && !opts.admit(s)) return void s.destroy();
      if (limits && !limits.admit(s)) return void s.destroy();
      this.#sockets.add(s);
      this.#armTimeoutCheck();
      s.on('close', () => {
        this.#sockets.delete(s);
        if (this.#sockets.size === 0) this.#disarmTimeoutCheck();
      });
    });
    this.#server.on('clientError', (_err, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /**
   * Routes every path under `prefix` that no exact route takes (e.g. `/api/v1/label/` for
   * `/api/v1/label/<name>/values`); its requests are counted under `prefix*`.
   */
  routePrefix(methods: string | string[], prefix: string, handler: Handler): this {
    this.#prefixes.push({ prefix, path: prefix + '*' });
    return this.route(methods, prefix + '*', handler);
  }

  route(methods: string | string[], path: string, handler: Handler): this {
    let byMethod = this.#routes.get(path);
    if (!byMethod) this.#routes.set(path, (byMethod = new Map()));
    for (const m of Array.isArray(methods) ? methods : [methods]) {
      byMethod.set(m, handler);
      if (m === 'GET' && !byMethod.has('HEAD')) byMethod.set('HEAD', handler);
    }
    return this;
  }

  /** Replaces the TLS certificate and key of an https server (certificate rotation). */
  setSecureContext(tls: { key: Buffer | string; cert: Buffer | string }): void {
    if (this.#secure) (this.#server as https.Server).setSecureContext({ key: tls.key, cert: tls.cert });
  }

  /** Re-reads the web config now when its files changed (or always, with `force`); whether new settings apply. */
  checkWebConfig(force = false): boolean {
    return this.#watcher?.check((s) => this.#applyWeb(s), force) ?? false;
  }

  #applyWeb(s: WebSettings): void {
    if (s.tls && this.#secure) {
      (this.#server as https.Server).setSecureContext(s.tls.context);
      // Read by Node for each new connection.
      const srv = this.#server as https.Server & { requestCert: boolean; rejectUnauthorized: boolean };
      srv.requestCert = s.tls.requestCert;
      srv.rejectUnauthorized = s.tls.rejectUnauthorized;
    }
    this.#web = s;
  }

  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Base URL of the bound server, e.g. http://127.0.0.1:9477. */
  url(): string {
    const a = this.address();
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.#secure ? 'https' : 'http'}://${host}:${a.port}`;
  }

  async start(): Promise<void> {
    if (this.#listening) return;
    const hp = parseHostPort(this.#opts.listen);
    if (!hp) throw new OutriderError('OUTRIDER_ERR_HTTP_LISTEN', `cannot listen on ${JSON.stringify(this.#opts.listen)}: expected HOST:PORT`);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.#server.off('listening', onListening);
        const why =
          err.code === 'EADDRINUSE'
            ? 'the address is already in use'
            : err.code === 'EACCES'
              ? 'permission denied'
              : err.code === 'EADDRNOTAVAIL'
                ? 'the address is not available on this host'
                : err.message;
        reject(new OutriderError('OUTRIDER_ERR_HTTP_LISTEN', `cannot listen on ${this.#opts.listen}: ${why}`, { errno: err.code }));
      };
      const onListening = () => {
        this.#server.off('error', onError);
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      this.#server.listen({ host: hp.host, port: hp.port, exclusive: true });
    });
    this.#listening = true;
    this.#takeOverTimeoutCheck();
    this.#watcher?.watch(this.#opts.webConfigCheckMs ?? 10_000, (s) => this.#applyWeb(s));
    this.#server.on('error', (err) => this.#opts.log.error({ err: err.message, server: this.name }, 'HTTP server error.'));
  }

  /** Whether the header and request timeouts are being checked (a connection is open, or Node's own timer runs). */
  get checkingTimeouts(): boolean {
    return this.#checkConnections === undefined ? this.#listening : this.#checkTimer !== undefined;
  }

  /**
   * Node checks the header and request timeouts from its own `connectionsCheckingInterval` timer, which runs from
   * listen to close, with no connection open too: each of the agent's servers woke it once a second while idle
   * (bench/README.md, "Idle CPU: the servers' timeout checks"). The check itself is taken from that timer and run on
   * this server's own, only while a connection is open. On a Node without that timer where it is looked for, Node's
   * timer stays.
   */
  #takeOverTimeoutCheck(): void {
    const key = Object.getOwnPropertySymbols(this.#server).find((k) => k.description === 'http.server.connectionsCheckingInterval');
    const timer = key === undefined ? undefined : (this.#server as unknown as Record<symbol, unknown>)[key];
    const check = (timer as { _onTimeout?: unknown } | undefined)?._onTimeout;
    if (typeof check !== 'function') return;
    clearInterval(timer as NodeJS.Timeout);
    this.#checkConnections = check as () => void;
    if (this.#sockets.size > 0) this.#armTimeoutCheck();
  }

  #armTimeoutCheck(): void {
    const check = this.#checkConnections;
    if (check === undefined || this.#checkTimer !== undefined) return;
    this.#checkTimer = setInterval(check, this.#checkMs);
    this.#checkTimer.unref();
  }

  #disarmTimeoutCheck(): void {
    if (this.#checkTimer !== undefined) clearInterval(this.#checkTimer);
    this.#checkTimer = undefined;
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then closes the rest. */
  stop(graceMs = 3000): Promise<void> {
    if (!this.#listening) return Promise.resolve();
    if (this.#stopping) return this.#stopping;
    this.#watcher?.stop();
    this.#stopping = new Promise<void>((resolve) => {
      this.#server.close(() => {
        this.#disarmTimeoutCheck();
        resolve();
      });
      this.#server.closeIdleConnections();
      const t = setTimeout(() => {
        for (const s of this.#sockets) s.destroy();
      }, graceMs);
      t.unref();
      const poll = setInterval(() => {
        if (this.#inflight === 0) {
          this.#server.closeIdleConnections();
          if (this.#sockets.size === 0) clearInterval(poll);
        }
      }, 20);
      poll.unref();
    });
    return this.#stopping;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inflight++;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
    }
    const routed = this.#routes.has(url.pathname) ? url.pathname : this.#prefixes.find((p) => url.pathname.startsWith(p.prefix))?.path;
    res.on('finish', () => this.#opts.onRequest?.(routed ?? 'other', req.method ?? '', res.statusCode));
    try {
      if (this.#stopping) res.setHeader('Connection', 'close');
      const web = this.#web;
      if (web) {
        for (const [k, v] of Object.entries(web.config.headers)) res.setHeader(k, v);
        if (web.auth.enabled && !this.#opts.authExempt?.has(url.pathname) && !(await web.auth.check(req))) {
          res.setHeader('WWW-Authenticate', 'Basic');
          return sendText(res, 401, 'Unauthorized\n');
        }
      }
      const byMethod = routed === undefined ? undefined : this.#routes.get(routed);
      if (!byMethod) return sendText(res, 404, 'Not Found\n');
      const h = byMethod.get(req.method ?? '');
      if (!h) {
        res.setHeader('Allow', [...byMethod.keys()].join(', '));
        return sendText(res, 405, 'Method Not Allowed\n');
      }
      if (this.#opts.guard && !this.#opts.guard(req, res, url)) return;
      await h(req, res, url);
    } catch (err) {
      this.#opts.log.error({ err: err instanceof Error ? err.message : String(err), path: url.pathname }, 'Request handler failed.');
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n');
      else res.destroy();
    } finally {
      this.#inflight--;
    }
  }
}

export function sendText(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, null, 2) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** Answers with a JSON body serialised once by the caller (hot paths answering the same thing every time). */
export function sendJsonBytes(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** Reads a request body up to `maxBytes`; past it, rejects with OUTRIDER_ERR_HTTP_BODY_TOO_LARGE. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new OutriderError('OUTRIDER_ERR_HTTP_BODY_TOO_LARGE', `request body of ${declared} bytes exceeds the ${maxBytes}-byte limit`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        req.destroy();
        reject(new OutriderError('OUTRIDER_ERR_HTTP_BODY_TOO_LARGE', `request body exceeds the ${maxBytes}-byte limit`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}
