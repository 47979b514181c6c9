/**
 * One remote write URL as an output of the runtime. A record is a frame (../frame.ts, codec none) whose payload is
 * one byte naming the protocol the body was encoded in (1: 1.0, 2: 2.0) followed by the snappy-compressed protobuf
 * request, exactly the HTTP body. Sending posts it with that version's headers.
 *
 * Protocol `auto` starts at 2.0 and falls back to 1.0 for this URL for the life of the process when the receiver
 * shows it does not speak 2.0: it answers 415 Unsupported Media Type (the 2.0 spec's answer), 400 Bad Request (what
 * the spec tells senders to expect from 1.x receivers), or 2xx without the X-Prometheus-Remote-Write-Samples-Written
 * header every 2.0 receiver must send (a 1.x receiver that ignores the content type decodes a 2.0 body as an empty
 * 1.0 request and acknowledges it having written nothing). The same request then goes again as 1.0, re-encoded from
 * the 2.0 body, so nothing is lost through the fallback, spooled requests included.
 */
import { Dispatcher, request } from 'undici';
import { tlsDispatcher } from '../tls/connect';
import type { ClientTlsOptions } from '../tls/options';
import { sharedThreadPool } from '../../native/pool';
import { FRAME_HEADER_BYTES } from '../../wire/frame';
import type { DeliveryResult, Output, QueuedItem } from '../runtime/output';
import { classifyStatus, SendResult } from '../send-result';
import { seriesFromV2 } from './decode-v2';
import { encodeWriteRequest } from './protobuf';

export type RemoteWriteProtocol = '1.0' | '2.0' | 'auto';
export type Version = '1.0' | '2.0';
export type Fallback = 'unsupported_media_type' | 'bad_request' | 'not_written';

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

/** The record payload for a body: the version byte, then the body. */
export function recordPayload(v: Version, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([v === '2.0' ? 2 : 1]), body]);
}

export interface TargetEvents {
  bytes(n: number): void;
  ok(): void;
  fallback(url: string, reason: Fallback): void;
}

export class RemoteWriteTarget implements Output {
  readonly endpoints = 1;
  readonly url: string;
  /** What is sent now: auto starts at 2.0 and may fall back to 1.0. */
  version: Version;
  /** auto only: whether the receiver has shown which version it speaks. */
  #settled: boolean;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #events: TargetEvents;
  /** Undefined: undici's global dispatcher. */
  readonly #dispatcher: Dispatcher | undefined;

  constructor(url: string, protocol: RemoteWriteProtocol, headers: Record<string, string>, timeoutMs: number, events: TargetEvents, tls?: ClientTlsOptions) {
    this.url = url;
    this.version = protocol === '1.0' ? '1.0' : '2.0';
    this.#settled = protocol !== 'auto';
    this.#headers = headers;
    this.#timeoutMs = timeoutMs;
    this.#events = events;
    this.#dispatcher = url.startsWith('https:') ? tlsDispatcher(tls) : undefined;
  }

  async send(_item: QueuedItem, _endpoint: number, record: () => Buffer): Promise<DeliveryResult> {
    const frame = record();
    let v: Version = frame[FRAME_HEADER_BYTES] === 2 ? '2.0' : '1.0';
    let body = frame.subarray(FRAME_HEADER_BYTES + 1);
    for (;;) {
      if (v === '2.0' && this.version === '1.0') {
        // Encoded as 2.0 before this URL fell back: the same request as 1.0.
        const raw = await sharedThreadPool().snappyUncompress(body);
        body = await sharedThreadPool().snappyCompress(encodeWriteRequest(seriesFromV2(raw)));
        v = '1.0';
      }
      const r = await this.#post(body, v);
      if (v === '2.0' && !this.#settled) {
        const fallback: Fallback | undefined =
          r.status === 415 ? 'unsupported_media_type' : r.status === 400 ? 'bad_request' : r.result.kind === 'success' && r.written === undefined ? 'not_written' : undefined;
        if (fallback) {
          this.version = '1.0';
          this.#settled = true;
          this.#events.fallback(this.url, fallback);
          continue;
        }
        if (r.result.kind === 'success') this.#settled = true;
      }
      const res = r.result;
      if (res.kind === 'success') {
        this.#events.ok();
        this.#events.bytes(body.length);
        return res;
      }
      if (res.kind === 'definitions') return { kind: 'failure', reason: 'HTTP 409: conflict', status: 409 };
      return res;
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher?.close().catch(() => undefined);
  }

  async #post(body: Buffer, v: Version): Promise<{ result: SendResult; status: number; written: number | undefined }> {
    try {
      const res = await request(this.url, {
        method: 'POST',
        headers: { ...this.#headers, ...(v === '2.0' ? remoteWriteV2Headers : remoteWriteHeaders) },
        body,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        dispatcher: this.#dispatcher,
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
