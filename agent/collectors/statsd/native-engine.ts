/**
 * The StatsD engine on the native receive path (agent/native/statsd-receiver.ts): receiver and aggregator threads
 * in the addon; the JS thread calls in once per flush (`drain`), never per packet.
 */
import { isOutriderError, OutriderError } from '../../core/errors';
import { ErrorCode } from '../../native/errors';
import { nativeStatus } from '../../native/loader';
import { createStatsdReceiver, type StatsdReceiver } from '../../native/statsd-receiver';
import { DDSketch, kDefaultRelativeAccuracy } from '../../store/sketch';
import type { Drained, RawEntry } from './aggregate';
import type { BoundListener, EngineOptions, StatsdEngine } from './engine';
import type { MetricKind } from './parse';

/** statsd::MetricType order. */
const kTypes: readonly MetricKind[] = ['c', 'g', 'ms', 'h', 's', 'd'];

/** Ring between each receiver and its aggregator thread (the socket's receive buffer absorbs longer stalls). */
const kRingBytes = 512 * 1024;
/** Entries converted per call into the addon while flushing. */
const kChunk = 2048;

export class NativeEngine implements StatsdEngine {
  readonly kind = 'native';
  readonly #o: EngineOptions;
  #r: StatsdReceiver | undefined;

  constructor(opts: EngineOptions) {
    this.#o = opts;
  }

  async start(): Promise<BoundListener[]> {
    const o = this.#o;
    const r = createStatsdReceiver({
      listeners: o.listen.map((l) => (l.kind === 'unix' ? { kind: 'unix', path: l.path, mode: o.socketMode } : { kind: 'udp', host: l.host, port: l.port, family: l.family })),
      receiveBufferBytes: o.receiveBufferBytes,
      maxPacketBytes: o.maxPacketBytes,
      threads: o.receiverThreads,
      maxKeys: o.maxKeysPerInterval,
      ringBytes: kRingBytes,
    });
    let bound;
    try {
      bound = r.open();
    } catch (err) {
      if (!isOutriderError(err, ErrorCode.STATSD_LISTEN)) throw err;
      const index = typeof err.details?.listener === 'number' ? err.details.listener : 0;
      const url = o.listen[index]?.url ?? '';
      const reason = err.errno === 'EADDRINUSE' ? 'the address is already in use' : String(err.details?.reason ?? err.errno);
      throw new OutriderError('OUTRIDER_ERR_STATSD_LISTEN', `StatsD cannot listen on ${url}: ${reason}.`, { url, errno: err.errno }, { cause: err });
    }
    r.start();
    this.#r = r;
    return bound.map((b, i) => ({
      url: o.listen[i]!.url,
      kind: b.unix ? 'unix' : 'udp',
      address: b.address,
      port: b.port,
      family: b.family,
      ...(b.unix ? { path: b.path } : {}),
      receiveBuffer: b.receiveBuffer,
    }));
  }

  drain(): Drained {
    if (!this.#r) return { entries: [], stats: { packets: 0, bytes: 0, lines: 0, tooLarge: 0, invalid: {}, skipped: {}, events: 0, serviceChecks: [0, 0, 0, 0], overflow: 0, samples: [] } };
    const r = this.#r;
    const stats = r.drain();
    const sc = stats.serviceChecks;
    return { entries: entriesOf(r), stats: { ...stats, serviceChecks: [sc[0] ?? 0, sc[1] ?? 0, sc[2] ?? 0, sc[3] ?? 0] } };
  }

  processedPackets(): number {
    return this.#r?.processed() ?? 0;
  }

  async stop(): Promise<void> {
    this.#r?.stop();
    this.#r = undefined;
  }
}

/**
 * Yields one reused entry object per aggregate: the series table keeps the strings and the sketch, never the entry,
 * so a flush allocates no object per known series.
 */
function* entriesOf(r: StatsdReceiver): Generator<RawEntry> {
  const e: RawEntry = { type: 'c', name: '', tags: '', value: 0, relative: false, timestamp: 0, sketch: undefined };
  for (;;) {
    const c = r.next(kChunk);
    const n = c.n.length;
    if (n === 0) return;
    let nextSketch = 0;
    for (let k = 0; k < n; k++) {
      e.type = kTypes[c.t[k]!]!;
      e.name = c.n[k]!;
      e.tags = c.g[k]!;
      e.value = c.v[k]!;
      e.relative = c.r[k] === 1;
      e.timestamp = c.ts[k]!;
      const sk = c.sk[nextSketch];
      if (sk !== undefined && sk.i === k) {
        e.sketch = DDSketch.fromDense(kDefaultRelativeAccuracy, sk.n, sk.s, sk.min, sk.max, sk.z, sk.po, sk.pc, sk.no, sk.nc);
        nextSketch++;
      } else {
        e.sketch = undefined;
      }
      yield e;
    }
  }
}

/** The native engine when the addon is loaded, else why not. */
export function loadNativeEngine(opts: EngineOptions): { engine: StatsdEngine } | { reason: string } {
  const status = nativeStatus();
  if (!status.available) return { reason: status.reason };
  return { engine: new NativeEngine(opts) };
}
