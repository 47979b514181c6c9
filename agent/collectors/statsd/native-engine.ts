/**
 * The native receive path: receiver threads (recvmmsg) and aggregator threads behind SPSC rings in the addon
 * (native/src/net, native/src/statsd). The JS thread calls into it once per flush (`drain`), never per packet.
 * Options are validated here; the C++ side only converts.
 */
import { OutriderError } from '../../core/errors';
import { nativeBinding, nativeStatus } from '../../native/loader';
import { DDSketch, kDefaultRelativeAccuracy } from '../../store/sketch';
import type { Drained, IngestStats, RawEntry } from './aggregate';
import type { BoundListener, EngineOptions, StatsdEngine } from './engine';
import type { MetricKind } from './parse';

interface RawSketch {
  /** Entry of the chunk it belongs to. */
  i: number;
  n: number;
  s: number;
  min: number;
  max: number;
  z: number;
  po: number;
  pc: Float64Array;
  no: number;
  nc: Float64Array;
}

/** One chunk of a drain, columnar (see native/src/statsd_binding.cc): entry k is column[k]. */
interface RawChunk {
  t: Uint8Array;
  r: Uint8Array;
  v: Float64Array;
  ts: Float64Array;
  n: string[];
  g: string[];
  sk: RawSketch[];
}

/** statsd::MetricType order. */
const kTypes: readonly MetricKind[] = ['c', 'g', 'ms', 'h', 's', 'd'];

type RawStats = Omit<IngestStats, 'serviceChecks'> & { serviceChecks: number[] };

interface RawReceiver {
  open(): Array<{ unix: boolean; address: string; port: number; family: 4 | 6; path: string; receiveBuffer: number; sockets: number }>;
  start(): void;
  drain(): RawStats;
  next(max: number): RawChunk;
  processed(): number;
  stop(): void;
}

type RawReceiverCtor = new (opts: object) => RawReceiver;

/** Ring between each receiver and its aggregator thread (the socket's receive buffer absorbs longer stalls). */
const kRingBytes = 2 * 1024 * 1024;
/** Entries converted per call into the addon while flushing. */
const kChunk = 2048;

export class NativeEngine implements StatsdEngine {
  readonly kind = 'native';
  readonly #o: EngineOptions;
  readonly #ctor: RawReceiverCtor;
  #r: RawReceiver | undefined;

  constructor(ctor: RawReceiverCtor, opts: EngineOptions) {
    this.#ctor = ctor;
    this.#o = opts;
  }

  async start(): Promise<BoundListener[]> {
    const o = this.#o;
    const r = new this.#ctor({
      listeners: o.listen.map((l) => (l.kind === 'unix' ? { unix: true, path: l.path, mode: o.socketMode } : { unix: false, host: l.host, port: l.port, family: l.family })),
      receiveBuffer: Math.min(o.receiveBufferBytes, 0x7fffffff),
      maxPacket: o.maxPacketBytes,
      threads: o.receiverThreads,
      maxKeys: o.maxKeysPerInterval,
      ringBytes: kRingBytes,
    });
    let bound;
    try {
      bound = r.open();
    } catch (err) {
      const e = err as Error & { code?: string };
      const inUse = e.code === 'EADDRINUSE';
      const url = o.listen.find((l) => e.message.startsWith(l.kind === 'unix' ? `unix://${l.path}` : 'udp://'))?.url ?? e.message.split(':')[0];
      throw new OutriderError('OUTRIDER_ERR_STATSD_LISTEN', `StatsD cannot listen on ${inUse ? `${e.message.replace(/: .*$/, '')}: the address is already in use` : e.message}.`, {
        url,
        errno: e.code,
      });
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
function* entriesOf(r: RawReceiver): Generator<RawEntry> {
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

/** The native engine when the addon is loaded and has the statsd binding, else why not. */
export function loadNativeEngine(opts: EngineOptions): { engine: StatsdEngine } | { reason: string } {
  const b = nativeBinding() as unknown as { StatsdReceiver?: RawReceiverCtor } | null;
  if (!b) return { reason: nativeStatus().reason };
  if (typeof b.StatsdReceiver !== 'function') return { reason: 'the loaded native addon has no statsd binding' };
  return { engine: new NativeEngine(b.StatsdReceiver, opts) };
}
