/**
 * Server-Sent Events to the open live pages. Nothing runs while no page is open: the first client starts the frame
 * timer and the store subscription, the last one to leave stops them. Bounds: a number of clients (one more is
 * answered 503), bytes queued per client (a client further behind is disconnected; its EventSource reconnects), a
 * heartbeat comment on a quiet stream so proxies and the browser keep it open.
 *
 * Events: `frame` (a Frame as JSON) once per second while the store changes; `: ping` comments otherwise.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store';
import type { Frame } from './sampler';

export interface StreamOptions {
  store: Store;
  maxClients: number;
  clientBufferBytes: number;
  intervalMs: number;
  heartbeatMs: number;
  /** Builds the next frame (called once per interval while a client is open and the store changed). */
  frame: (nowMs: number) => Frame;
  /**
   * Brings what is written into the store on a coarser cadence up to date before each interval's look at the store
   * (the agent's self telemetry, `Telemetry.beforeRead`, as before a scrape): the delivery lag and the other self
   * telemetry panels move each second, not each 5 s.
   */
  beforeRead?: () => Promise<void> | void;
  now?: () => number;
  /** Counted events (a client connected, refused at the limit, dropped as too slow, gone), with the clients open. */
  onEvent?: (event: StreamEvent, clients: number) => void;
  /** Called when the last client left (what the frames needed can be let go). */
  onIdle?: () => void;
}

export type StreamEvent = 'connected' | 'refused' | 'slow' | 'closed';

interface Client {
  res: ServerResponse;
}

export class LiveStreams {
  readonly #o: StreamOptions;
  readonly #clients = new Set<Client>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #dirty = true;
  #lastSendMs = 0;
  #frames = 0;
  #closed = false;

  constructor(opts: StreamOptions) {
    this.#o = opts;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Frames built so far (tests: none while no page is open). */
  get frames(): number {
    return this.#frames;
  }

  attach(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closed || this.#clients.size >= this.#o.maxClients) {
      this.#o.onEvent?.('refused', this.#clients.size);
      const body = JSON.stringify({ error: `at most ${this.#o.maxClients} live pages may be open at once (live.max_clients)` }) + '\n';
      res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Retry-After': '10', 'Cache-Control': 'no-store' });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no', Connection: 'keep-alive' });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const client: Client = { res };
    this.#clients.add(client);
    this.#o.onEvent?.('connected', this.#clients.size);
    const drop = () => this.#remove(client);
    req.on('close', drop);
    res.on('close', drop);
    res.on('error', drop);
    if (this.#clients.size === 1) this.#start();
    else this.#dirty = true;
  }

  /** Ends every stream and stops the timer; later clients are refused. */
  close(): void {
    this.#closed = true;
    for (const c of [...this.#clients]) {
      c.res.end();
      this.#remove(c);
    }
  }

  #start(): void {
    this.#dirty = true;
    this.#unsubscribe = this.#o.store.subscribe(() => {
      this.#dirty = true;
    });
    this.#timer = setInterval(() => this.#tick(), this.#o.intervalMs);
    this.#timer.unref();
    this.#tick();
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#o.onIdle?.();
  }

  #remove(c: Client): void {
    if (!this.#clients.delete(c)) return;
    if (!c.res.writableEnded) c.res.destroy();
    this.#o.onEvent?.('closed', this.#clients.size);
    if (this.#clients.size === 0) this.#stop();
  }

  #tick(): void {
    const caught = this.#o.beforeRead?.();
    if (caught instanceof Promise) void caught.then(this.#emit, this.#emit);
    else this.#emit();
  }

  /** One interval's event: a frame when the store changed, else a heartbeat when one is due. */
  readonly #emit = (): void => {
    if (this.#timer === undefined) return; // the last page left while the store was brought up to date
    const now = (this.#o.now ?? Date.now)();
    if (this.#dirty) {
      this.#dirty = false;
      this.#frames++;
      this.#send(`event: frame\ndata: ${JSON.stringify(this.#o.frame(now))}\n\n`);
      this.#lastSendMs = now;
    } else if (now - this.#lastSendMs >= this.#o.heartbeatMs) {
      this.#send(': ping\n\n');
      this.#lastSendMs = now;
    }
  };

  #send(text: string): void {
    for (const c of [...this.#clients]) {
      if (c.res.writableLength > this.#o.clientBufferBytes) {
        this.#o.onEvent?.('slow', this.#clients.size - 1);
        this.#remove(c);
        continue;
      }
      c.res.write(text);
    }
  }
}
