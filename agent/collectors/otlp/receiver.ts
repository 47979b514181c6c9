/**
 * The transport-independent part of the OTLP receiver: decodes a request body (protobuf or JSON), writes it through
 * the translator and keeps the receiver's counters. The HTTP and gRPC front ends only move bytes and map the result
 * to their status codes.
 */
import type { AgentContext } from '../../core/context';
import { DeltaTable } from './delta';
import { decodeMetricsRequestJson } from './decode-json';
import { OtlpDecodeError } from './model';
import type { OtlpOptions } from './options';
import { receiveMetricsRequest } from './receive-proto';
import { StreamCache } from './stream-cache';
import { OtlpTranslator, TranslateResult } from './translate';

export type OtlpEncoding = 'protobuf' | 'json';
export type RefusalReason = 'too_large' | 'decompression_bomb' | 'malformed' | 'unsupported_media_type' | 'unsupported_encoding';

/** Quantiles shown for exponential histograms on /metrics. */
export const kExpQuantiles = [0.5, 0.9, 0.95, 0.99];

export class OtlpIngest {
  readonly #translator: OtlpTranslator;
  readonly #streams: DeltaTable;
  readonly #accepted;
  readonly #rejected;
  readonly #refused;
  readonly #streamsRefused;
  readonly #streamsGauge;
  #lastRefusedStreams = 0;
  readonly #cache = new StreamCache();
  readonly #cacheEntries;
  readonly #cacheBytes;
  readonly #cacheResets;
  #lastResets = 0;
  readonly #store: AgentContext['store'];

  constructor(ctx: AgentContext, o: Pick<OtlpOptions, 'delta' | 'promoteResourceAttributes'>) {
    this.#streams = new DeltaTable(o.delta.maxStreams, o.delta.streamTtlMs);
    this.#store = ctx.store;
    this.#translator = new OtlpTranslator({ store: ctx.store, streams: this.#streams, promote: o.promoteResourceAttributes, quantiles: kExpQuantiles });
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

  /** Decodes and writes one request; throws OtlpDecodeError (counted as malformed) when the body cannot be read. */
  ingest(body: Buffer, encoding: OtlpEncoding, transport: 'http' | 'grpc'): TranslateResult {
    let got;
    try {
      got = encoding === 'protobuf' ? receiveMetricsRequest(body, this.#cache, this.#translator) : decodeMetricsRequestJson(body.toString('utf8'));
    } catch (err) {
      if (err instanceof OtlpDecodeError || err instanceof RangeError) {
        this.refuse('malformed', transport);
        throw err instanceof OtlpDecodeError ? err : new OtlpDecodeError(err.message);
      }
      throw err;
    }
    const decoded = got;
    const res = this.#store.withSource('otlp', () => (Array.isArray(decoded) ? this.#translator.write(decoded) : this.#translator.writeReceived(decoded)));
    if (encoding === 'protobuf') {
      this.#cacheEntries.set(this.#cache.size);
      this.#cacheBytes.set(this.#cache.keyBytes);
      if (this.#cache.resets > this.#lastResets) {
        this.#cacheResets.inc(this.#cache.resets - this.#lastResets);
        this.#lastResets = this.#cache.resets;
      }
    }
    if (res.accepted > 0) this.#accepted.inc({ transport }, res.accepted);
    if (res.rejected > 0) this.#rejected.inc({ transport }, res.rejected);
    if (this.#streams.refused > this.#lastRefusedStreams) {
      this.#streamsRefused.inc(this.#streams.refused - this.#lastRefusedStreams);
      this.#lastRefusedStreams = this.#streams.refused;
    }
    this.#streamsGauge.set(this.#streams.size);
    return res;
  }
}
