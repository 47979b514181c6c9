/**
 * The aggregator as an output of the runtime: what a record is (a framed batch) and how one goes to endpoint `i`
 * (HTTP through a keep-alive pool, or straight from its spool segment with sendfile when it is only on disk), plus
 * the aggregator's own answers: a lost interning table (resend the series definitions, then the batch) and a run of
 * consecutive spooled batches in one body, settled frame by frame. With several endpoints every request goes under
 * the endpoint's stall watch (stall-watch.ts), so a stalled aggregator is left before `report.timeout`.
 */
import type { Logger } from 'pino';
import { version } from '../core/version';
import { compress } from '../wire/codec';
import { Codec, encodeFrame, FrameKind } from '../wire/frame';
import { BatchMeta, encodePayload, FamilyDef, SeriesDef } from '../wire/payload';
import type { Batcher } from './batcher';
import { FileTransport } from './file-transport';
import type { FrameAnswer } from '../wire/ingest';
import type { DeliveryResult, Output, QueuedItem, RunResult } from './runtime/output';
import type { SendResult } from './send-result';
import type { Spool } from './spool/spool';
import type { Handover } from './handover';
import { definitionsFromSpool } from './spooled-definitions';
import { PROBE_TIMEOUT_MS, Transport } from './transport';
import { StallWatch } from './stall-watch';
import type { ClientTlsOptions } from './tls/options';

export interface AggregatorOutputOptions {
  agentId: string;
  endpoints: string[];
  token: string | undefined;
  tls?: ClientTlsOptions;
  timeoutMs: number;
  maxInFlight: number;
  codec: Codec;
  compressionLevel: number;
  /** Send records that are only on disk straight from the segment (sendfile); default true. */
  sendfile?: boolean;
  sendfileMinBytes: number;
  log: Logger;
}

export interface OutputContext {
  epoch: () => number;
  spool: () => Spool | undefined;
  /** What the aggregators acknowledged of this epoch, for a new owner (undefined: nothing yet). */
  handover?: () => Handover | undefined;
  /** A handover was delivered (true) or could not be (false). */
  handedOver?: (ok: boolean) => void;
}

/** How many times one batch may ask for its definitions again before it is refused for good. */
const kMaxDefinitionResends = 2;

export class AggregatorOutput implements Output {
  readonly #opts: AggregatorOutputOptions;
  readonly #transports: Transport[];
  readonly #files: Array<FileTransport | undefined>;
  /** Per endpoint, with several endpoints (with one there is nowhere to go, and the timeout decides). */
  readonly #watches: Array<StallWatch | undefined>;
  /** Endpoints that refused a body of several frames (an older aggregator): replay sends them one record each. */
  readonly #noRuns = new Set<number>();
  readonly #batcher: Batcher;
  readonly #ctx: OutputContext;
  /** Endpoints moved to that have not had their handover yet, and the handover on its way to each. */
  readonly #handoverDue = new Set<number>();
  readonly #handoverSending = new Map<number, Promise<boolean>>();
  readonly #count: { bytes(n: number): void; sendfile(n: number): void; definitions(): void };

  constructor(opts: AggregatorOutputOptions, batcher: Batcher, ctx: OutputContext, count: { bytes(n: number): void; sendfile(n: number): void; definitions(): void }) {
    this.#opts = opts;
    this.#batcher = batcher;
    this.#ctx = ctx;
    this.#count = count;
    this.#transports = opts.endpoints.map((endpoint) => new Transport({ endpoint, token: opts.token, agentId: opts.agentId, timeoutMs: opts.timeoutMs, connections: opts.maxInFlight, tls: opts.tls }));
    this.#files = opts.endpoints.map((endpoint) => (opts.sendfile === false ? undefined : FileTransport.for(endpoint, opts.token, opts.agentId, opts.timeoutMs)));
    // A request waiting this long gets its endpoint's health checked: at most the health check's own timeout, and
    // half the request timeout (a shorter timeout decides by itself soon enough).
    const stallCheckMs = Math.min(PROBE_TIMEOUT_MS, Math.floor(opts.timeoutMs / 2));
    this.#watches = this.#transports.map((tr) => (this.#transports.length > 1 ? new StallWatch(stallCheckMs, () => tr.probe()) : undefined));
  }

  get endpoints(): number {
    return this.#transports.length;
  }

  /** Whether endpoint `i` answers its health check. */
  probe(i: number): Promise<boolean> {
    return this.#transports[i]!.probe();
  }

  canSendRun(endpoint: number): boolean {
    const file = this.#files[endpoint];
    return file !== undefined && !file.busy && !this.#noRuns.has(endpoint);
  }

  /** The agent left `endpoint` as failing: the requests still waiting there are abandoned (retried where it went). */
  abandon(endpoint: number): void {
    this.#watches[endpoint]?.abandonAll();
  }

  /** The agent moved to `endpoint`: before its next batch there, it gets the handover. */
  handoverTo(endpoint: number): void {
    this.#handoverDue.add(endpoint);
  }

  async send(e: QueuedItem, endpoint: number, body: () => Buffer): Promise<DeliveryResult> {
    if (!(await this.#handover(endpoint))) return { kind: 'retryable', reason: 'handover not delivered' };
    let res = await this.#sendOnce(e, endpoint, body);
    for (let tries = 1; res.kind === 'definitions'; tries++) {
      this.#count.definitions();
      const ok = tries <= kMaxDefinitionResends && (await this.#resendDefinitions(endpoint, e, res.missing));
      if (!ok) return { kind: 'failure', reason: `the aggregator does not know series ${res.missing.slice(0, 10).join(',')} and their definitions are gone` };
      res = await this.#sendOnce(e, endpoint, body);
    }
    return res;
  }

  async #sendOnce(e: QueuedItem, endpoint: number, body: () => Buffer): Promise<SendResult> {
    const file = this.#files[endpoint];
    if (!e.data && e.ref && file && !file.busy && e.ref.length >= this.#opts.sendfileMinBytes) {
      // Only on disk: the record goes from the segment to the socket without entering JavaScript memory.
      const ref = e.ref;
      const res = await this.#watched(endpoint, (signal) => file.send(ref.segment.path, ref.offset, ref.length, signal));
      this.#count.bytes(e.ref.length);
      this.#count.sendfile(1);
      return res;
    }
    const b = body();
    this.#count.bytes(b.length);
    return this.#watched(endpoint, (signal) => this.#transports[endpoint]!.send(b, signal));
  }

  /** Runs a request to `endpoint` under its stall watch (if it has one). */
  async #watched<T>(endpoint: number, request: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const w = this.#watches[endpoint]?.begin();
    try {
      return await request(w?.signal);
    } finally {
      w?.done();
    }
  }

  async sendRun(run: readonly QueuedItem[], endpoint: number): Promise<RunResult> {
    if (!(await this.#handover(endpoint))) return { kind: 'retryable', reason: 'handover not delivered' };
    const file = this.#files[endpoint]!;
    const first = run[0]!.ref!;
    const length = run.reduce((a, n) => a + n.ref!.length, 0);
    const res = await this.#watched(endpoint, (signal) => file.sendFrames(first.segment.path, first.offset, length, signal));
    this.#count.bytes(length);
    if (res.kind === 'frames') {
      const byKey = new Map<string, FrameAnswer>();
      for (const a of res.results) byKey.set(`${a.epoch}:${a.seq}`, a);
      const settled = run.map((n) => {
        const a = byKey.get(`${n.epoch}:${n.seq}`);
        return a && (a.status === 'applied' || a.status === 'duplicate') ? (a.status === 'duplicate' ? 'duplicate' : 'acked') : undefined;
      });
      this.#count.sendfile(settled.filter((s) => s !== undefined).length);
      return { kind: 'settled', settled };
    }
    if (res.kind === 'retryable') return res;
    if (res.kind === 'failure' && res.status === 400) {
      this.#noRuns.add(endpoint);
      this.#opts.log.warn({ endpoint: this.#opts.endpoints[endpoint], reason: res.reason }, 'The aggregator does not take several batches in one body; replaying one batch per request.');
    }
    return { kind: 'failure', reason: res.kind === 'failure' ? res.reason : 'definitions missing for a run' };
  }

  async close(): Promise<void> {
    for (const w of this.#watches) w?.close();
    await Promise.all(this.#transports.map((t) => t.close()));
    for (const f of this.#files) f?.close();
  }

  /** Sends the handover due to `endpoint` once (concurrent sends wait for the same one); true when none is due. */
  #handover(endpoint: number): Promise<boolean> {
    if (!this.#handoverDue.has(endpoint)) return Promise.resolve(true);
    let p = this.#handoverSending.get(endpoint);
    if (!p) {
      p = this.#sendHandover(endpoint).finally(() => this.#handoverSending.delete(endpoint));
      this.#handoverSending.set(endpoint, p);
    }
    return p;
  }

  async #sendHandover(endpoint: number): Promise<boolean> {
    const h = this.#ctx.handover?.();
    if (!h) {
      this.#handoverDue.delete(endpoint);
      return true;
    }
    const sids: number[] = [];
    for (let i = 0; i < h.scalars.length; i += 2) sids.push(h.scalars[i]!);
    for (const d of h.dists) sids.push(d.sid);
    const d = this.#batcher.definitions(sids);
    const gone = new Set(d.missing);
    if (gone.size > 0) {
      const scalars: number[] = [];
      for (let i = 0; i < h.scalars.length; i += 2) if (!gone.has(h.scalars[i]!)) scalars.push(h.scalars[i]!, h.scalars[i + 1]!);
      h.scalars = scalars;
      h.dists = h.dists.filter((x) => !gone.has(x.sid));
    }
    // The handover rides in the meta map of a definitions frame (docs/protocol.md, Handover).
    const meta: BatchMeta & { handover: Handover } = { version, handover: h };
    const raw = encodePayload({ agentId: this.#opts.agentId, sentMs: Date.now(), meta, families: d.families, series: d.series, scalars: [], dists: [] });
    const frame = encodeFrame(FrameKind.defs, this.#opts.codec, this.#ctx.epoch(), 0, await compress(this.#opts.codec, raw, this.#opts.compressionLevel));
    const res = await this.#watched(endpoint, (signal) => this.#transports[endpoint]!.send(frame, signal));
    const ok = res.kind === 'success';
    if (ok) this.#handoverDue.delete(endpoint);
    this.#ctx.handedOver?.(ok);
    return ok;
  }

  /**
   * Sends the definitions the aggregator lost; from memory for this epoch, from the record's spool segment for older
   * ones and for those memory no longer holds (a reload's new batcher starts empty).
   */
  async #resendDefinitions(endpoint: number, e: QueuedItem, missing: number[]): Promise<boolean> {
    let families: FamilyDef[];
    let series: SeriesDef[];
    const mem = e.epoch === this.#ctx.epoch() ? this.#batcher.definitions(missing) : undefined;
    if (mem && mem.missing.length === 0) {
      families = mem.families;
      series = mem.series;
      this.#batcher.resetScope();
    } else {
      const spool = this.#ctx.spool();
      const d = e.ref && spool ? definitionsFromSpool(spool, e.ref, new Set(missing)) : undefined;
      if (!d) return false;
      families = d.families;
      series = d.series;
    }
    const raw = encodePayload({ agentId: this.#opts.agentId, sentMs: Date.now(), meta: {}, families, series, scalars: [], dists: [] });
    const frame = encodeFrame(FrameKind.defs, this.#opts.codec, e.epoch, 0, await compress(this.#opts.codec, raw, this.#opts.compressionLevel));
    const res = await this.#watched(endpoint, (signal) => this.#transports[endpoint]!.send(frame, signal));
    return res.kind === 'success';
  }
}
