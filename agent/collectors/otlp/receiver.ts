/**
 * The transport-independent part of the OTLP receiver: decodes a request body (protobuf or JSON), writes it through
 * the translator and keeps the receiver's counters. The HTTP and gRPC front ends only move bytes and map the result
 * to their status codes. The counters are registered at start; the decoders, the translator and the delta table
 * (most of the receiver's code) load with the first request, which waits for them.
 */
import type { AgentContext } from '../../core/context';
import type { DeltaTable } from './delta';
import { OtlpDecodeError } from './model';
import type { OtlpOptions } from './options';
import type { StreamCache } from './stream-cache';
import type { OtlpTranslator, TranslateResult } from './translate';

export type OtlpEncoding = 'protobuf' | 'json';
export type RefusalReason = 'too_large' | 'decompression_bomb' | 'malformed' | 'unsupported_media_type' | 'unsupported_encoding';

/** Quantiles shown for exponential histograms on /metrics. */
export const kExpQuantiles = [0.5, 0.9, 0.95, 0.99];

/** What decodes and translates, built with the first request. */
interface Decoding {
  translator: OtlpTranslator;
  streams: DeltaTable;
  cache: StreamCache;
  receiveProto: typeof import('./receive-proto').receiveMetricsRequest;
  decodeJson: typeof import('./decode-json').decodeMetricsRequestJson;
}

export class OtlpIngest {
  #decoding: Decoding | undefined;
  readonly #options: Pick<OtlpOptions, 'delta' | 'promoteResourceAttributes'>;
  readonly #accepted;
  readonly #rejected;
  readonly #refused;
  readonly #streamsRefused;
  readonly #streamsGauge;
  #lastRefusedStreams = 0;
  readonly #cacheEntries;
  readonly #cacheBytes;
  readonly #cacheResets;
  #lastResets = 0;
  readonly #store: AgentContext['store'];

  constructor(ctx: AgentContext, o: Pick<OtlpOptions, 'delta' | 'promoteResourceAttributes'>) {
    this.#options = o;
    this.#store = ctx.store;
    const t = ctx.telemetry;
    this.#accepted = t.counter('outrider_otlp_data_points_total', 'OTLP data points written to the store, by transport.', ['transport']);
    this.#rejected = t.counter('outrider_otlp_rejected_data_points_total', 'OTLP data points refused inside otherwise valid requests (answered as partial success), by transport.', ['transport']);
    this.#refused = t.counter(
      'outrider_otlp_refused_requests_total',
      'OTLP requests refused whole, by transport and reason (too_large, decompression_bomb, malformed, unsupported_media_type, unsupported_encoding).',
      ['transport', 'reason'],
    );
    this.#streamsRefused = t.counter('outrider_otlp_delta_streams_refused_total', 'New delta (and exponential histogram) streams refused because the conversion table was full.');
    this.#cacheEntries = t.gauge('outrider_otlp_stream_cache_entries', 'Gauge and Sum streams whose labels the protobuf receiver keeps, found again by their attribute bytes.');
    this.#cacheBytes = t.gauge('outrider_otlp_stream_cache_key_bytes', 'Bytes of attribute keys the protobuf receiver keeps for its streams.');
    this.#cacheResets = t.counter('outrider_otlp_stream_cache_resets_total', 'Times the protobuf receiver forgot its streams at the bound (65,536 streams or 8 MiB of keys) and decoded them again.');
    this.#streamsGauge = t.gauge('outrider_otlp_delta_streams', 'Streams the delta-to-cumulative conversion holds state for (bounded by otlp.delta.max_streams).');
  }

  refuse(reason: RefusalReason, transport: 'http' | 'grpc'): void {
    this.#refused.inc({ transport, reason });
  }

  #decoders(): Decoding {
    if (this.#decoding) return this.#decoding;
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { DeltaTable } = require('./delta') as typeof import('./delta');
    const { OtlpTranslator } = require('./translate') as typeof import('./translate');
    const { StreamCache } = require('./stream-cache') as typeof import('./stream-cache');
    const receiveProto = (require('./receive-proto') as typeof import('./receive-proto')).receiveMetricsRequest;
    const decodeJson = (require('./decode-json') as typeof import('./decode-json')).decodeMetricsRequestJson;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const o = this.#options;
    const streams = new DeltaTable(o.delta.maxStreams, o.delta.streamTtlMs);
    const translator = new OtlpTranslator({ store: this.#store, streams, promote: o.promoteResourceAttributes, quantiles: kExpQuantiles });
    return (this.#decoding = { translator, streams, cache: new StreamCache(), receiveProto, decodeJson });
  }

  /** Decodes and writes one request; throws OtlpDecodeError (counted as malformed) when the body cannot be read. */
  ingest(body: Buffer, encoding: OtlpEncoding, transport: 'http' | 'grpc'): TranslateResult {
    const d = this.#decoders();
    let got;
    try {
      got = encoding === 'protobuf' ? d.receiveProto(body, d.cache, d.translator) : d.decodeJson(body.toString('utf8'));
    } catch (err) {
      if (err instanceof OtlpDecodeError || err instanceof RangeError) {
        this.refuse('malformed', transport);
        throw err instanceof OtlpDecodeError ? err : new OtlpDecodeError(err.message);
      }
      throw err;
    }
    const decoded = got;
    const res = this.#store.withSource('otlp', () => (Array.isArray(decoded) ? d.translator.write(decoded) : d.translator.writeReceived(decoded)));
    if (encoding === 'protobuf') {
      this.#cacheEntries.set(d.cache.size);
      this.#cacheBytes.set(d.cache.keyBytes);
      if (d.cache.resets > this.#lastResets) {
        this.#cacheResets.inc(d.cache.resets - this.#lastResets);
        this.#lastResets = d.cache.resets;
      }
    }
    if (res.accepted > 0) this.#accepted.inc({ transport }, res.accepted);
    if (res.rejected > 0) this.#rejected.inc({ transport }, res.rejected);
    if (d.streams.refused > this.#lastRefusedStreams) {
      this.#streamsRefused.inc(d.streams.refused - this.#lastRefusedStreams);
      this.#lastRefusedStreams = d.streams.refused;
    }
    this.#streamsGauge.set(d.streams.size);
    return res;
  }
}
