/**
 * OTLP/gRPC receiver. On an IP address it listens with a plain TCP server and loads the service (grpc-service.ts:
 * @grpc/grpc-js, and with it Node's http2 and tls) with its first connection, which it then hands over (Node's HTTP/2
 * session takes the bytes the socket buffered meanwhile, then reads the socket itself): an agent no
 * SDK sends to over gRPC holds none of it (~1.5 MiB of RSS and ~0.7 MiB of module source at idle, bench/README.md,
 * "Footprint"). Connections that arrive while the service loads wait for it. On a host name (resolved to all its
 * addresses, as grpc-js binds them) the service loads at start and binds itself.
 */
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Component } from '../../core/component';
import type { AgentContext } from '../../core/context';
import { parseHostPort } from '../../config/coerce';
import { OutriderError } from '../../core/errors';
import type { GrpcService } from './grpc-service';
import type { OtlpListenerOptions } from './options';
import type { OtlpIngest } from './receiver';

export class OtlpGrpcReceiver implements Component {
  readonly name = 'otlp-grpc';
  readonly #ctx: AgentContext;
  readonly #ingest: OtlpIngest;
  readonly #listen: string;
  readonly #maxBodyBytes: number;
  #running = false;
  #listener: Server | undefined;
  #service: Promise<GrpcService> | undefined;
  /** Connections accepted while the service loads. */
  readonly #waiting = new Set<Socket>();
  #port = 0;

  constructor(ctx: AgentContext, o: OtlpListenerOptions, ingest: OtlpIngest) {
    this.#ctx = ctx;
    this.#ingest = ingest;
    this.#listen = o.listen;
    this.#maxBodyBytes = o.maxBodyBytes;
  }

  /** host:port the server is bound to. */
  address(): string {
    const hp = parseHostPort(this.#listen)!;
    return `${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${this.#port}`;
  }

  /** Whether the gRPC service is loaded (after the first connection, or at start on a host name). */
  get serviceLoaded(): boolean {
    return this.#service !== undefined;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    const hp = parseHostPort(this.#listen);
    if (!hp) throw new OutriderError('OUTRIDER_ERR_OTLP_LISTEN', `OTLP/gRPC receiver: cannot listen on ${JSON.stringify(this.#listen)}: expected HOST:PORT`);
    const bound = isIP(hp.host) ? await this.#listenTcp(hp.host, hp.port) : await (await this.#load()).bind(`${hp.host}:${hp.port}`);
    if (bound instanceof Error) {
      // A listen failure (a port in use) is one ERROR line and a degraded component, as for OTLP/HTTP.
      const why = /EADDRINUSE|address already in use/i.test(bound.message) ? 'the address is already in use' : bound.message;
      const detail = `OTLP/gRPC receiver is off: cannot listen on ${this.#listen}: ${why} (set otlp.grpc.listen to another address, or to empty to switch it off).`;
      this.#ctx.log.error({ code: 'OUTRIDER_ERR_OTLP_LISTEN', listen: this.#listen }, detail);
      this.#ctx.health.report(this.name, 'degraded', { ready: true, detail });
      this.#service = undefined;
      return;
    }
    this.#port = bound;
    this.#running = true;
    this.#ctx.health.report(this.name, 'running', { ready: true, detail: `listening on ${this.address()}` });
    this.#ctx.log.info({ address: this.address() }, 'OTLP/gRPC receiver is ready.');
  }

  #load(): Promise<GrpcService> {
    return (this.#service ??= import('./grpc-service').then((m) => m.grpcService(this.#ingest, this.#maxBodyBytes)));
  }

  /** A TCP server whose connections go to the service once it is loaded; the port, or why not. */
  #listenTcp(host: string, port: number): Promise<number | Error> {
    const listener = createServer((socket) => this.#accept(socket));
    return new Promise((resolve) => {
      listener.once('error', resolve);
      listener.listen(port, host, () => {
        listener.removeListener('error', resolve);
        listener.on('error', (err) => this.#ctx.log.warn({ err: err.message }, 'OTLP/gRPC listener error.'));
        this.#listener = listener;
        resolve((listener.address() as { port: number }).port);
      });
    });
  }

  #accept(socket: Socket): void {
    socket.on('error', () => undefined); // a reset before the service takes the connection is only a closed socket
    this.#waiting.add(socket);
    socket.once('close', () => this.#waiting.delete(socket));
    this.#load().then(
      (service) => {
        if (!this.#waiting.delete(socket) || socket.destroyed) return;
        if (!this.#running) return void socket.destroy();
        service.inject(socket);
      },
      (err: unknown) => {
        socket.destroy();
        this.#ctx.log.error({ code: 'OUTRIDER_ERR_OTLP_LISTEN', err: (err as Error).message }, 'OTLP/gRPC receiver: the gRPC service failed to load; the connection is closed.');
        this.#service = undefined;
      },
    );
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    // Refuses new connections; the callback is not awaited: it waits for connections the service holds.
    this.#listener?.close();
    this.#listener = undefined;
    for (const s of this.#waiting) s.destroy();
    this.#waiting.clear();
    const service = this.#service;
    this.#service = undefined;
    if (service) await (await service).shutdown(3000);
  }
}
