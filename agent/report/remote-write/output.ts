/**
 * Remote write output: every interval the store's series are encoded (protobuf + snappy) in requests of at most
 * `maxSeriesPerRequest` series and sent to each URL in order, with retries (exponential backoff with full jitter,
 * Retry-After honoured), a bounded queue per URL (oldest request dropped and counted when full), and permanent
 * refusals (4xx other than 429) dropped and counted. Used by the agent (direct output) and the aggregator (forward).
 *
 * Protocol per URL: `1.0` (prometheus.WriteRequest), `2.0` (io.prometheus.write.v2.Request with its symbol table),
 * or `auto`: 2.0 until the receiver shows it does not speak it, then 1.0 for that URL for the life of the process
 * (counted in outrider_remote_write_fallbacks_total, logged once). A receiver shows it by answering 415 Unsupported
 * Media Type (the 2.0 spec's answer), 400 Bad Request (what the spec tells senders to expect from 1.x receivers), or
 * by answering 2xx without the X-Prometheus-Remote-Write-Samples-Written
 * header every 2.0 receiver must send (a 1.x receiver that ignores the content type decodes a 2.0 body as an empty
 * 1.0 request and acknowledges it having written nothing). Either way the request is sent again as 1.0, so nothing
 * is lost through the fallback.
 */
import { sharedThreadPool } from '../../native/pool';
import { request } from 'undici';
import type { Logger } from 'pino';
import type { Component, Health } from '../../core/component';
import type { Telemetry } from '../../core/telemetry';
import type { Series, Store } from '../../store/store';
import { backoffMs, classifyStatus } from '../send-result';
import { storeToSeries } from './from-store';
import { encodeWriteRequest, RwSeries } from './protobuf';
import { encodeRequestV2 } from './protobuf-v2';

export type RemoteWriteProtocol = '1.0' | '2.0' | 'auto';

export interface RemoteWriteOptions {
  name: string;
  urls: string[];
  intervalMs: number;
  log: Logger;
  telemetry: Telemetry;
  health: Health;
  maxSeriesPerRequest?: number;
  maxQueue?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Labels added to every series (a series' own label of the same name wins). */
  extraLabels?: Readonly<Record<string, string>>;
  /** Which series to write (default all). */
  filter?: (s: Series) => boolean;
  /** Called before the store is read each tick: a writer that defers its store writes catches up. */
  beforeRead?: () => void;
  /** Protocol version (default 1.0). */
  protocol?: RemoteWriteProtocol;
}

export const remoteWriteHeaders = {
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': 'outrider',
};

export const remoteWriteV2Headers = {
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
  'x-prometheus-remote-write-version': '2.0.0',
  'user-agent': 'outrider',
};

/** Response header a 2.0 receiver must send. */
const kSamplesWritten = 'x-prometheus-remote-write-samples-written';
/** Headers the user may not override (the spec reserves them). */
const kReserved = new Set(['content-encoding', 'content-type', 'x-prometheus-remote-write-version', 'user-agent']);

/**
 * One request body: WriteRequest protobuf, snappy block format. Snappy runs on the addon's thread pool (off the event
 * loop; 4.7x faster than the snappyjs package on a 1.6 MB body), or on its TypeScript twin without the addon.
 */
export function encodeRemoteWrite(series: readonly RwSeries[]): Promise<Buffer> {
  return sharedThreadPool().snappyCompress(encodeWriteRequest(series));
}

/** One request body in remote write 2.0 (Request with symbols), snappy-compressed on the pool. */
export function encodeRemoteWriteV2(series: readonly RwSeries[]): Promise<Buffer> {
  return sharedThreadPool().snappyCompress(encodeRequestV2(series));
}

type Version = '1.0' | '2.0';

/** One request, shared by every URL's queue; each protocol's body is encoded once, when first needed. */
class Request {
  readonly bodies = new Map<Version, Promise<Buffer>>();
  constructor(
    /** Kept while some URL may still need another encoding (auto not yet settled); dropped otherwise. */
    public series: readonly RwSeries[] | undefined,
    readonly samples: number,
  ) {}

  body(v: Version): Promise<Buffer> | undefined {
    let b = this.bodies.get(v);
    if (!b && this.series) {
      b = v === '2.0' ? encodeRemoteWriteV2(this.series) : encodeRemoteWrite(this.series);
      this.bodies.set(v, b);
    }
    return b;
  }
}

class Target {
  readonly queue: Request[] = [];
  running = false;
  failures = 0;
  /** What is sent now: auto starts at 2.0 and may fall back to 1.0. */
  version: Version;
  /** auto only: whether the receiver has shown which version it speaks. */
  settled: boolean;
  constructor(
    readonly url: string,
    readonly protocol: RemoteWriteProtocol,
  ) {
    this.version = protocol === '1.0' ? '1.0' : '2.0';
    this.settled = protocol !== 'auto';
  }
}

export class RemoteWriteOutput implements Component {
  readonly name: string;
  readonly #store: Store;
  readonly #opts: RemoteWriteOptions;
  readonly #targets: Target[];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #started = false;
  readonly #m;

  constructor(store: Store, opts: RemoteWriteOptions) {
    this.name = opts.name;
    this.#store = store;
    this.#opts = opts;
    this.#targets = opts.urls.map((u) => new Target(u, opts.protocol ?? '1.0'));
    for (const k of Object.keys(opts.headers ?? {})) {
      if (kReserved.has(k.toLowerCase())) throw new RangeError(`remote write header ${k} is reserved by the protocol and cannot be set`);
    }
    const t = opts.telemetry;
    this.#m = {
      sent: t.counter('outrider_remote_write_requests_total', 'Remote write requests finished, by result (ok, dropped).', ['output', 'result']),
      samples: t.counter('outrider_remote_write_samples_total', 'Samples handed to remote write.', ['output']),
      bytes: t.counter('outrider_remote_write_bytes_total', 'Remote write request bytes sent (snappy-compressed protobuf).', ['output']),
      dropped: t.counter('outrider_remote_write_dropped_requests_total', 'Remote write requests lost, by reason (queue_full, refused, encode).', ['output', 'reason']),
      retries: t.counter('outrider_remote_write_retries_total', 'Remote write sends retried.', ['output']),
      fallbacks: t.counter('outrider_remote_write_fallbacks_total', 'URLs that did not accept remote write 2.0 and were switched to 1.0 (protocol auto), by reason (unsupported_media_type, bad_request, not_written).', ['output', 'reason']),
    };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#timer = setInterval(() => void this.#tickCounted(), this.#opts.intervalMs);
    this.#timer.unref();
    this.#opts.health.report(this.name, 'running', { ready: true, detail: `writing to ${this.#targets.length} URL(s)` });
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopped) return;
    clearInterval(this.#timer);
    await this.#tickCounted();
    this.#stopped = true;
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && this.#targets.some((t) => t.running)) await new Promise((r) => setTimeout(r, 20));
    this.#opts.health.report(this.name, 'stopped', { ready: false });
  }

  /** tick() whose failure (an encode error) is counted, never an unhandled rejection. */
  async #tickCounted(): Promise<void> {
    try {
      await this.tick();
    } catch {
      this.#m.dropped.inc({ output: this.name, reason: 'encode' });
    }
  }

  /** Encodes the store now and queues it for every URL. */
  async tick(): Promise<void> {
    if (this.#stopped) return;
    this.#opts.beforeRead?.();
    const all = storeToSeries(this.#store, Date.now(), this.#opts.extraLabels ?? {}, this.#opts.filter);
    if (all.length === 0) return;
    const per = this.#opts.maxSeriesPerRequest ?? 2000;
    const unsettled = this.#targets.some((t) => !t.settled);
    const versions = new Set(this.#targets.map((t) => t.version));
    const reqs: Request[] = [];
    for (let i = 0; i < all.length; i += per) {
      const r = new Request(all.slice(i, i + per), Math.min(per, all.length - i));
      for (const v of versions) void r.body(v)!.catch(() => undefined);
      reqs.push(r);
    }
    // Encode now (an encode error is the tick's), and keep the series only while a fallback may need them.
    await Promise.all(reqs.flatMap((r) => [...r.bodies.values()]));
    if (!unsettled) for (const r of reqs) r.series = undefined;
    if (this.#stopped) return;
    this.#m.samples.inc({ output: this.name }, all.length);
    for (const t of this.#targets) {
      for (const r of reqs) {
        t.queue.push(r);
        if (t.queue.length > (this.#opts.maxQueue ?? 256)) {
          t.queue.shift();
          this.#m.dropped.inc({ output: this.name, reason: 'queue_full' });
        }
      }
      if (!t.running) void this.#run(t);
    }
  }

  /** Which protocol each URL speaks now ("1.0" or "2.0"). */
  protocols(): Record<string, Version> {
    return Object.fromEntries(this.#targets.map((t) => [t.url, t.version]));
  }

  async #run(t: Target): Promise<void> {
    t.running = true;
    try {
      while (t.queue.length > 0) {
        const req = t.queue[0]!;
        let body: Buffer | undefined;
        try {
          body = await req.body(t.version);
        } catch {
          body = undefined;
        }
        if (!body) {
          t.queue.shift();
          this.#m.dropped.inc({ output: this.name, reason: 'encode' });
          continue;
        }
        const sentVersion = t.version;
        const r = await this.#post(t.url, body, sentVersion);
        if (sentVersion === '2.0' && !t.settled) {
          const fallback = r.status === 415 ? 'unsupported_media_type' : r.status === 400 ? 'bad_request' : r.result.kind === 'success' && r.written === undefined ? 'not_written' : undefined;
          if (fallback) {
            this.#fallBack(t, fallback);
            continue; // the same request again, as 1.0
          }
          if (r.result.kind === 'success') this.#settle(t);
        }
        const res = r.result;
        if (res.kind === 'success') {
          t.queue.shift();
          t.failures = 0;
          this.#m.sent.inc({ output: this.name, result: 'ok' });
          this.#m.bytes.inc({ output: this.name }, body.length);
        } else if (res.kind === 'failure' || res.kind === 'definitions') {
          t.queue.shift();
          this.#m.dropped.inc({ output: this.name, reason: 'refused' });
          this.#m.sent.inc({ output: this.name, result: 'dropped' });
          this.#opts.log.error({ url: t.url, protocol: sentVersion, reason: res.kind === 'failure' ? res.reason : 'conflict' }, 'Remote write refused a request; it is dropped.');
        } else {
          t.failures++;
          this.#m.retries.inc({ output: this.name });
          if (this.#stopped) break;
          const delay = res.retryAfterMs ?? backoffMs(t.failures, 200, 30_000);
          await new Promise((resolve) => setTimeout(resolve, delay).unref());
        }
      }
    } finally {
      t.running = false;
    }
  }

  #fallBack(t: Target, reason: 'unsupported_media_type' | 'bad_request' | 'not_written'): void {
    t.version = '1.0';
    this.#m.fallbacks.inc({ output: this.name, reason });
    this.#opts.log.warn(
      { url: t.url, reason },
      reason !== 'not_written'
        ? 'The remote write receiver does not accept 2.0 (it answered 415 or 400); this URL gets remote write 1.0 from now on.'
        : 'The remote write receiver acknowledged a 2.0 request without saying what it wrote (a 1.x receiver); this URL gets remote write 1.0 from now on.',
    );
    this.#settle(t);
  }

  /** The URL's version is known: queued requests no longer need their series kept for another encoding. */
  #settle(t: Target): void {
    t.settled = true;
    if (this.#targets.every((x) => x.settled)) for (const x of this.#targets) for (const r of x.queue) if (r.bodies.has(x.version)) r.series = undefined;
  }

  async #post(url: string, body: Buffer, v: Version): Promise<{ result: ReturnType<typeof classifyStatus>; status: number; written: number | undefined }> {
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { ...this.#opts.headers, ...(v === '2.0' ? remoteWriteV2Headers : remoteWriteHeaders) },
        body,
        headersTimeout: this.#opts.timeoutMs ?? 10_000,
        bodyTimeout: this.#opts.timeoutMs ?? 10_000,
      });
      const text = await res.body.text();
      const ra = res.headers['retry-after'];
      const w = res.headers[kSamplesWritten];
      const written = w === undefined ? undefined : Number(Array.isArray(w) ? w[0] : w);
      return { result: classifyStatus(res.statusCode, Array.isArray(ra) ? ra[0] : ra, text), status: res.statusCode, written };
    } catch (err) {
      return { result: { kind: 'retryable', reason: (err as { code?: string }).code ?? 'network error' }, status: 0, written: undefined };
    }
  }
}
