/**
 * Remote write output: every interval the store's series are encoded (protobuf + snappy) in requests of at most
 * `maxSeriesPerRequest` series and handed to each URL's output runtime (../runtime/): a memory-bounded queue with a
 * spool of its own as the durable tier (`<spool.dir>/remote-write/<hash of the URL>`), retries with exponential
 * backoff and full jitter (Retry-After honoured), a circuit breaker, and permanent refusals (4xx other than 429)
 * quarantined and counted. A receiver that is down loses nothing while its backlog fits the spool (docs/spool.md).
 * Used by the agent (direct output, spooled) and the aggregator (forward, in memory).
 *
 * Each tick is one epoch of the runtime: the requests of one tick (disjoint series, one timestamp) may be in flight
 * together, a later tick's only once they are all answered, so every series reaches the receiver in time order.
 * Protocol per URL (1.0, 2.0 or auto): target.ts.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { sharedThreadPool } from '../../native/pool';
import type { ClientTlsOptions } from '../tls/options';
import type { Component, Health } from '../../core/component';
import type { Telemetry } from '../../core/telemetry';
import type { Series, Store } from '../../store/store';
import { Codec, encodeFrame, FrameKind } from '../../wire/frame';
import type { SpoolSettings } from '../runtime/delivery-queue';
import { OutputRuntime } from '../runtime/output-runtime';
import { storeToSeries } from './from-store';
import { encodeWriteRequest, RwSeries } from './protobuf';
import { encodeRequestV2 } from './protobuf-v2';
import { remoteWriteMetrics, remoteWriteHooks } from './metrics';
import { StaleMarkers } from './stale-markers';
import { StoreEncoderV1 } from './encode-v1';
import { recordPayload, RemoteWriteProtocol, RemoteWriteTarget, Version } from './target';

export { remoteWriteHeaders, remoteWriteV2Headers, RemoteWriteProtocol } from './target';

export interface RemoteWriteOptions {
  name: string;
  urls: string[];
  intervalMs: number;
  log: Logger;
  telemetry: Telemetry;
  health: Health;
  maxSeriesPerRequest?: number;
  /** Most requests held in memory per URL (default 256); past it a spooled request waits on disk only. */
  maxQueue?: number;
  /** Bytes of requests held in memory per URL (default 64 MiB). */
  maxMemoryBytes?: number;
  timeoutMs?: number;
  /** Client TLS for https:// URLs (report.tls.*). */
  tls?: ClientTlsOptions;
  headers?: Record<string, string>;
  /** Labels added to every series (a series' own label of the same name wins). */
  extraLabels?: Readonly<Record<string, string>>;
  /** Which series to write (default all). */
  filter?: (s: Series) => boolean;
  /** Called before the store is read each tick: a writer that defers its store writes catches up. */
  beforeRead?: () => void;
  /** Protocol version (default 1.0). */
  protocol?: RemoteWriteProtocol;
  /** Write a staleness marker for each series that left the store since the last tick (stale-markers.ts). */
  staleMarkers?: boolean;
  /** The spool settings; each URL spools under `<dir>/remote-write/<hash>`. Without it requests wait in memory only. */
  spool?: SpoolSettings;
  /** Requests in flight per URL (the AIMD window's ceiling; default 4). */
  maxInFlight?: number;
  /** Answers slower than this shrink the window (AIMD; default 1 s). */
  targetLatencyMs?: number;
  /** Retry delay ceilings (defaults 200 ms and 30 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Time stop() waits for the queues to drain (default 3 s); the rest stays in the spool. */
  drainMs?: number;
}

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

/** The spool directory of one URL under the configured spool. */
export function remoteWriteSpoolDir(dir: string, url: string): string {
  return path.join(dir, 'remote-write', createHash('sha256').update(url).digest('hex').slice(0, 16));
}

interface Lane {
  target: RemoteWriteTarget;
  runtime: OutputRuntime;
}

export class RemoteWriteOutput implements Component {
  readonly name: string;
  readonly #store: Store;
  readonly #opts: RemoteWriteOptions;
  readonly #lanes: Lane[];
  #timer: NodeJS.Timeout | undefined;
  #epoch = 0;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  #started = false;
  readonly #m;
  readonly #stale: StaleMarkers | undefined;
  /** Remote write 1.0 bodies with each series' labels encoded once (used while every URL speaks 1.0). */
  readonly #v1: StoreEncoderV1;

  constructor(store: Store, opts: RemoteWriteOptions) {
    this.name = opts.name;
    this.#store = store;
    this.#opts = opts;
    for (const k of Object.keys(opts.headers ?? {})) {
      if (kReserved.has(k.toLowerCase())) throw new RangeError(`remote write header ${k} is reserved by the protocol and cannot be set`);
    }
    this.#m = remoteWriteMetrics(opts.telemetry);
    this.#stale = opts.staleMarkers ? new StaleMarkers(store) : undefined;
    this.#v1 = new StoreEncoderV1(opts.extraLabels ?? {});
    this.#lanes = opts.urls.map((url) => {
      const hooks = remoteWriteHooks(this.#m, opts.name, url, opts.log, () => this.#gauges());
      const target = new RemoteWriteTarget(
        url,
        opts.protocol ?? '1.0',
        opts.headers ?? {},
        opts.timeoutMs ?? 10_000,
        {
          bytes: (n) => this.#m.bytes.inc({ output: this.name }, n),
          ok: () => this.#m.sent.inc({ output: this.name, result: 'ok' }),
          fallback: (u, reason) => {
            this.#m.fallbacks.inc({ output: this.name, reason });
            opts.log.warn(
              { url: u, reason },
              reason !== 'not_written'
                ? 'The remote write receiver does not accept 2.0 (it answered 415 or 400); this URL gets remote write 1.0 from now on.'
                : 'The remote write receiver acknowledged a 2.0 request without saying what it wrote (a 1.x receiver); this URL gets remote write 1.0 from now on.',
            );
          },
        },
        opts.tls,
      );
      const runtime = new OutputRuntime(
        target,
        {
          log: opts.log,
          maxInFlight: opts.maxInFlight ?? 4,
          targetLatencyMs: opts.targetLatencyMs ?? 1000,
          maxBatch: opts.maxSeriesPerRequest ?? 2000,
          backoffBaseMs: opts.backoffBaseMs ?? 200,
          backoffMaxMs: opts.backoffMaxMs ?? 30_000,
          maxMemoryBytes: opts.maxMemoryBytes ?? 64 * 1024 * 1024,
          maxMemoryItems: opts.maxQueue ?? 256,
          policy: 'drop_oldest',
          spool: opts.spool ? { ...opts.spool, dir: remoteWriteSpoolDir(opts.spool.dir, url) } : undefined,
        },
        hooks,
      );
      return { target, runtime };
    });
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const l of this.#lanes) {
      const { maxEpoch } = l.runtime.open();
      this.#epoch = Math.max(this.#epoch, maxEpoch);
      l.runtime.pump();
    }
    this.#gauges();
    this.#timer = setInterval(() => void this.#tickCounted(), this.#opts.intervalMs);
    this.#timer.unref();
    this.#opts.health.report(this.name, 'running', { ready: true, detail: `writing to ${this.#lanes.length} URL(s)` });
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopped) return;
    clearInterval(this.#timer);
    await this.#tickCounted();
    this.#stopped = true;
    const drainMs = this.#opts.drainMs ?? 3000;
    await Promise.all(this.#lanes.map((l) => l.runtime.drain(drainMs)));
    await Promise.all(this.#lanes.map((l) => l.runtime.close()));
    this.#opts.health.report(this.name, 'stopped', { ready: false });
  }

  /** Resolves true once every URL has everything up to store generation `generation` acknowledged or spooled. */
  async whenDurable(generation: number, timeoutMs?: number): Promise<boolean> {
    const r = await Promise.all(this.#lanes.map((l) => l.runtime.whenDurable(generation, timeoutMs)));
    return r.every(Boolean);
  }

  /** A timer's tick: skipped while the previous one is still encoding; a failure (encode error) is counted. */
  async #tickCounted(): Promise<void> {
    if (this.#ticking) return;
    try {
      await this.tick();
    } catch {
      this.#m.dropped.inc({ output: this.name, reason: 'encode' });
    }
  }

  /**
   * Encodes the store now and queues it for every URL. Ticks run one at a time (a call waits for the one running), so
   * the requests are queued in the order the store was read.
   */
  async tick(): Promise<void> {
    while (this.#ticking) await this.#ticking.catch(() => undefined);
    const run = this.#tickNow();
    this.#ticking = run;
    try {
      await run;
    } finally {
      if (this.#ticking === run) this.#ticking = undefined;
    }
  }

  async #tickNow(): Promise<void> {
    if (this.#stopped) return;
    this.#opts.beforeRead?.();
    const gen = this.#store.generation;
    const now = Date.now();
    const per = this.#opts.maxSeriesPerRequest ?? 2000;
    // Each URL's version as the tick starts: a fallback while encoding is handled when sending (a 2.0 record is
    // re-encoded for a URL that fell back to 1.0).
    const laneVersions = this.#lanes.map((l) => l.target.version);
    const versions = [...new Set(laneVersions)];
    const markers = this.#stale ? this.#stale.take(now, this.#opts.extraLabels ?? {}, this.#opts.filter) : [];
    const bodies: Array<Map<Version, Buffer>> = [];
    let count = 0;
    if (versions.length === 1 && versions[0] === '1.0') {
      // Each body is compressed from the encoder's buffer as it is written (the pool copies its input at
      // submission), the compressions running together; an encode error is the tick's.
      const pool = sharedThreadPool();
      const compressed: Array<Promise<Buffer>> = [];
      try {
        count = this.#v1.encode(this.#store, now, per, this.#opts.filter, markers, (b) => compressed.push(pool.snappyCompress(b)));
      } catch (err) {
        for (const c of compressed) c.catch(() => undefined);
        throw err;
      }
      for (const b of await Promise.all(compressed)) bodies.push(new Map([['1.0', b]]));
    } else {
      const all = storeToSeries(this.#store, now, this.#opts.extraLabels ?? {}, this.#opts.filter);
      for (const m of markers) all.push(m);
      count = all.length;
      for (let i = 0; i < all.length; i += per) {
        const chunk = all.slice(i, i + per);
        const m = new Map<Version, Buffer>();
        for (const v of versions) m.set(v, await (v === '2.0' ? encodeRemoteWriteV2(chunk) : encodeRemoteWrite(chunk)));
        bodies.push(m);
      }
    }
    if (count === 0) {
      for (const l of this.#lanes) l.runtime.queue.appended(gen);
      return;
    }
    if (this.#stopped) return;
    this.#m.samples.inc({ output: this.name }, count);
    const epoch = (this.#epoch = Math.max(Date.now(), this.#epoch + 1));
    for (const [li, l] of this.#lanes.entries()) {
      const v = laneVersions[li]!;
      for (let i = 0; i < bodies.length; i++) {
        const frame = encodeFrame(FrameKind.batch, Codec.none, epoch, i + 1, recordPayload(v, bodies[i]!.get(v)!));
        await l.runtime.queue.append(frame, epoch, i + 1);
      }
      l.runtime.queue.appended(gen);
      // Staged (direct) I/O reaches the disk at sync: sync before sending, as the reporter does.
      const spool = l.runtime.queue.spool;
      if (spool && (spool.io.staged || this.#opts.spool?.writeThrough)) await l.runtime.sync();
      l.runtime.pump();
    }
    this.#gauges();
  }

  /** Which protocol each URL speaks now ("1.0" or "2.0"). */
  protocols(): Record<string, Version> {
    return Object.fromEntries(this.#lanes.map((l) => [l.target.url, l.target.version]));
  }

  #gauges(): void {
    let backlog = 0;
    let bytes = 0;
    let open = 0;
    for (const l of this.#lanes) {
      backlog += l.runtime.queue.pending;
      bytes += l.runtime.queue.spool?.bytes ?? 0;
      if (l.runtime.breakerOpen) open++;
    }
    this.#m.backlog.set({ output: this.name }, backlog);
    this.#m.spoolBytes.set({ output: this.name }, bytes);
    this.#m.breaker.set({ output: this.name }, open);
  }
}
