/**
 * Prometheus remote write receiver: `POST /api/v1/write` on the push listener, remote write 1.0
 * (`prometheus.WriteRequest`) and 2.0 (`io.prometheus.write.v2.Request`) bodies, snappy block-compressed, so a local
 * Prometheus agent, Alloy or vmagent can write into Outrider. Each series' latest sample is set in the store with its
 * timestamp (a Prometheus staleness marker removes the series); the family is a counter or gauge where the body's
 * metadata says so, untyped otherwise (classic histogram and summary series arrive already flattened). Native
 * histograms and exemplars are counted, not kept. Answers: 204 (2.0 with the
 * `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` headers), 400 for a malformed body, 413 over
 * push.max_body, 415 for another content type, proto message or encoding, 503 with Retry-After while the memory
 * limiter sheds. The decoders and the label caches load with the first request whose body is read.
 */
import type { ServerResponse } from 'node:http';
import type { AgentContext } from '../../core/context';
import { isOutriderError } from '../../core/errors';
import { HttpServer, readBody, sendText } from '../../core/http-server';
import type { LabelCache } from './label-cache';
import type { Received } from './receive-decode';
import { labelKey, type Store } from '../../store/store';
import type { MetricType } from '../../store/types';

/** Label sets kept for repeated series, per protocol (their keys differ in shape). */
const CACHED_LABEL_SETS = 65_536;

type Version = '1.0' | '2.0';

function version(contentType: string): Version | undefined {
  const [type = '', ...params] = contentType.split(';').map((s) => s.trim());
  if (type.toLowerCase() !== 'application/x-protobuf') return undefined;
  const proto = params.find((p) => p.toLowerCase().startsWith('proto='))?.slice(6);
  if (proto === undefined || proto === 'prometheus.WriteRequest') return '1.0';
  if (proto === 'io.prometheus.write.v2.Request') return '2.0';
  return undefined;
}

export function mountRemoteWriteReceive(server: HttpServer, ctx: AgentContext, maxBody: number): void {
  const t = ctx.telemetry;
  const written = t.counter('outrider_remote_write_receive_samples_total', 'Samples received through POST /api/v1/write, by protocol version.', ['version']);
  const refused = t.counter(
    'outrider_remote_write_receive_refused_requests_total',
    'Remote write requests refused whole, by reason (too_large, malformed, unsupported, memory_limit: the memory limiter is shedding).',
    ['reason'],
  );
  const dropped = t.counter(
    'outrider_remote_write_receive_dropped_series_total',
    'Received series, native histograms and exemplars not stored, by reason (no_name, store_refused, native_histogram, exemplar).',
    ['reason'],
  );
  const maxDecoded = Math.min(maxBody * 16, 256 * 1024 * 1024);
  let decoding: Decoding | undefined;

  server.route('POST', '/api/v1/write', async (req, res) => {
    const v = version(String(req.headers['content-type'] ?? 'application/x-protobuf'));
    const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
    if (!v || enc !== 'snappy') {
      refused.inc({ reason: 'unsupported' });
      req.resume();
      return sendText(
        res,
        415,
        !v
          ? `unsupported Content-Type ${JSON.stringify(req.headers['content-type'])}: remote write 1.0 or 2.0 protobuf expected\n`
          : 'remote write bodies must be snappy-encoded (Content-Encoding: snappy)\n',
      );
    }
    if (ctx.store.shedding) {
      // The memory limiter sheds: refuse before reading the body. Remote write senders retry a 5xx, after Retry-After.
      refused.inc({ reason: 'memory_limit' });
      req.resume();
      res.setHeader('Retry-After', '5');
      return sendText(res, 503, 'the agent is over its memory limiter soft limit; retry later\n');
    }
    let got: Received;
    const d = (decoding ??= loadDecoding());
    try {
      const body = await readBody(req, maxBody);
      const raw = d.snappyUncompress(body, maxDecoded);
      got = v === '2.0' ? d.receiveV2(raw, d.cacheV2) : d.receiveV1(raw, d.cacheV1);
    } catch (err) {
      if (isOutriderError(err, 'OUTRIDER_ERR_HTTP_BODY_TOO_LARGE')) {
        refused.inc({ reason: 'too_large' });
        res.setHeader('Connection', 'close');
        return sendText(res, 413, err.message + '\n');
      }
      if (err instanceof d.RemoteWriteDecodeError || (err instanceof Error && /snappy/.test(err.message))) {
        refused.inc({ reason: 'malformed' });
        return sendText(res, 400, `malformed remote write ${v} body: ${err.message}\n`);
      }
      throw err;
    }
    const nowMs = Date.now();
    const { histograms, exemplars } = got;
    const { samples, noName, refusedSeries } = ctx.store.withSource('remote_write', () => storeAll(ctx.store, got, nowMs));
    if (noName > 0) dropped.inc({ reason: 'no_name' }, noName);
    if (refusedSeries > 0) dropped.inc({ reason: 'store_refused' }, refusedSeries);
    if (histograms > 0) dropped.inc({ reason: 'native_histogram' }, histograms);
    if (exemplars > 0) dropped.inc({ reason: 'exemplar' }, exemplars);
    written.inc({ version: v }, samples);
    if (v === '2.0') writtenHeaders(res, samples);
    if (histograms > 0) return sendText(res, 400, `${histograms} native histograms were not written (not supported); ${samples} samples were\n`);
    res.writeHead(204);
    res.end();
  });
}

/** The decoders and their label caches, loaded with the first request (an agent nothing writes to never holds them). */
interface Decoding {
  snappyUncompress: typeof import('../../native/snappy').snappyUncompress;
  RemoteWriteDecodeError: typeof import('./decode').RemoteWriteDecodeError;
  receiveV1: typeof import('./receive-decode').receiveV1;
  receiveV2: typeof import('./receive-decode').receiveV2;
  cacheV1: LabelCache;
  cacheV2: LabelCache;
}

function loadDecoding(): Decoding {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { snappyUncompress } = require('../../native/snappy') as typeof import('../../native/snappy');
  const { RemoteWriteDecodeError } = require('./decode') as typeof import('./decode');
  const { receiveV1, receiveV2 } = require('./receive-decode') as typeof import('./receive-decode');
  const { LabelCache } = require('./label-cache') as typeof import('./label-cache');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { snappyUncompress, RemoteWriteDecodeError, receiveV1, receiveV2, cacheV1: new LabelCache(CACHED_LABEL_SETS), cacheV2: new LabelCache(CACHED_LABEL_SETS) };
}

function writtenHeaders(res: ServerResponse, samples: number): void {
  res.setHeader('X-Prometheus-Remote-Write-Samples-Written', String(samples));
  res.setHeader('X-Prometheus-Remote-Write-Histograms-Written', '0');
  res.setHeader('X-Prometheus-Remote-Write-Exemplars-Written', '0');
}

/**
 * Writes each series' latest sample (a staleness marker removes the series); counts what was written and dropped. A
 * series written before under the same family description goes through its kept store handle (no family or label-key
 * lookup); a handle the store no longer holds (swept, removed), a changed type or help, or a family whose help another
 * writer changed go by labels, which also refreshes the handle, so both ways store the same.
 */
export function storeAll(store: Store, got: Received, nowMs: number): { samples: number; noName: number; refusedSeries: number } {
  let samples = 0;
  let noName = 0;
  let refusedSeries = 0;
  for (let i = 0; i < got.series.length; i++) {
    const s = got.series[i]!;
    const name = s.name;
    if (name === undefined || name === '') {
      noName++;
      continue;
    }
    const declared = got.types[i];
    let type: MetricType = 'untyped';
    if (declared === 'counter' && name.endsWith('_total')) type = 'counter';
    else if (declared === 'gauge') type = 'gauge';
    const help = got.helps[i] ?? '';
    let desc = s.desc;
    if (desc === undefined || desc.type !== type || desc.help !== help) {
      desc = s.desc = { name, help, type };
      s.handle = undefined;
    }
    if (got.stale[i] === 1) {
      s.handle = undefined;
      const gone = store.getFamily(name)?.series.get(labelKey(s.labels));
      if (gone) store.remove(gone);
    } else {
      const held = s.handle;
      const value = got.values[i]!;
      const ts = got.times[i]!;
      // setSample would also set the family's help back to ours: a handle write only while they agree.
      if (held === undefined || (help !== '' && held.family.help !== help) || !store.writeHandle(held, value, undefined, nowMs, ts)) {
        s.handle = store.setSample(desc, { labels: s.labels, value, timestampMs: ts }, nowMs);
        if (s.handle === undefined) {
          refusedSeries++;
          continue;
        }
      }
    }
    samples += got.samples[i]!;
  }
  return { samples, noName, refusedSeries };
}
