/**
 * The pure-TS receive path: one `dgram` socket per UDP listener, every datagram parsed and aggregated on the JS
 * thread. Slower than the native receiver threads, same results. Node cannot bind Unix datagram sockets, so unix://
 * listeners need the native addon; asking for one here fails with a clear error.
 */
import dgram from 'node:dgram';
import { OutriderError } from '../../core/errors';
import { Aggregator, Drained } from './aggregate';
import type { BoundListener, EngineOptions, StatsdEngine } from './engine';

export class TsEngine implements StatsdEngine {
  readonly kind = 'ts';
  readonly #o: EngineOptions;
  readonly #agg: Aggregator;
  #sockets: dgram.Socket[] = [];
  #processed = 0;

  constructor(opts: EngineOptions) {
    this.#o = opts;
    this.#agg = new Aggregator(opts.maxKeysPerInterval);
  }

  async start(): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    try {
      for (const spec of this.#o.listen) {
        if (spec.kind === 'unix') {
          throw new OutriderError(
            'OUTRIDER_ERR_STATSD_UNIX_NEEDS_NATIVE',
            `StatsD listener ${spec.url} needs the native addon (Node.js cannot bind Unix datagram sockets); build the addon or listen on udp:// instead.`,
          );
        }
        bound.push(await this.#bindUdp(spec.host, spec.port, spec.family, spec.url));
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    return bound;
  }

  #bindUdp(host: string, port: number, family: 4 | 6, url: string): Promise<BoundListener> {
    const opts: dgram.SocketOptions = { type: family === 6 ? 'udp6' : 'udp4', ...(family === 6 ? { ipv6Only: true } : {}) };
    if (this.#o.receiveBufferBytes > 0) opts.recvBufferSize = this.#o.receiveBufferBytes;
    const sock = dgram.createSocket(opts);
    const max = this.#o.maxPacketBytes;
    const agg = this.#agg;
    sock.on('message', (msg) => {
      this.#processed++;
      if (msg.length > max) agg.packetTooLarge();
      else agg.ingestPacket(msg);
    });
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        sock.close();
        reject(
          new OutriderError('OUTRIDER_ERR_STATSD_LISTEN', `StatsD cannot listen on ${url}: ${err.code === 'EADDRINUSE' ? 'the address is already in use' : err.message}.`, {
            url,
            errno: err.code,
          }),
        );
      };
      sock.once('error', onError);
      sock.bind({ address: host, port, exclusive: true }, () => {
        sock.off('error', onError);
        sock.on('error', () => undefined);
        this.#sockets.push(sock);
        const a = sock.address();
        let rb = 0;
        try {
          rb = sock.getRecvBufferSize();
        } catch {
          /* unknown */
        }
        resolve({ url, kind: 'udp', address: a.address, port: a.port, family, receiveBuffer: rb });
      });
    });
  }

  drain(): Drained {
    return this.#agg.drain();
  }

  processedPackets(): number {
    return this.#processed;
  }

  async stop(): Promise<void> {
    const socks = this.#sockets;
    this.#sockets = [];
    await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
