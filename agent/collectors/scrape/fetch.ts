/**
 * One scrape of one target: an HTTP GET with undici (`Accept` as Prometheus sends it, gzip, the target's timeout and
 * headers), the body decompressed and parsed as it streams in (OpenMetrics or text 0.0.4 by Content-Type) with the
 * body size limit counted on the decompressed bytes, so the body is never held whole. Samples go to `onSample`; a
 * bad line, a limit or a network error rejects with a message for the targets API. A text 0.0.4 body offers each line's
 * series to `known` first (TextParserOptions: as the bytes of its text when `knownBytes` is given).
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Dispatcher, request } from 'undici';
import { OutriderError } from '../../core/errors';
import { ParsedFamily, ParsedSample, TextParser, TextParserOptions } from '../../formats/parse';
import { OpenMetricsReader } from './openmetrics';
import { authorization, TargetSpec } from './targets';

/** What Prometheus sends: OpenMetrics 1.0 first, then 0.0.1, then text 0.0.4, then anything. */
export const scrapeAccept = 'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

export class ScrapeError extends OutriderError {
  /** What failed: `http`, `parse`, `body_size_limit`, a limit name, `timeout`. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('OUTRIDER_ERR_SCRAPE_FAILED', message);
    this.reason = reason;
  }
}

export interface FetchResult {
  openMetrics: boolean;
  bytes: number;
}

export async function fetchTarget(
  t: TargetSpec,
  signal: AbortSignal,
  onSample: (s: ParsedSample, f: ParsedFamily) => void,
  dispatcher?: Dispatcher,
  known?: Pick<TextParserOptions, 'known' | 'knownBytes'>,
): Promise<FetchResult> {
  const headers: Record<string, string> = {
    accept: scrapeAccept,
    'accept-encoding': 'gzip',
    'user-agent': 'outrider-scrape',
    'x-prometheus-scrape-timeout-seconds': String(t.timeoutMs / 1000),
    ...t.headers,
  };
  const auth = authorization(t);
  if (auth) headers.authorization = auth;
  const res = await request(t.url, { method: 'GET', headers, signal, dispatcher, headersTimeout: t.timeoutMs, bodyTimeout: t.timeoutMs });
  if (res.statusCode !== 200) {
    res.body.resume();
    throw new ScrapeError('http', `server returned HTTP status ${res.statusCode}`);
  }
  const ctype = String(res.headers['content-type'] ?? '');
  const openMetrics = ctype.startsWith('application/openmetrics-text');
  let stream: Readable = res.body;
  if (String(res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') stream = res.body.pipe(createGunzip());
  const reader: { write(c: Buffer): void; end(): void } = openMetrics ? new OpenMetricsReader(onSample) : new TextParser(onSample, { known: known?.known, knownBytes: known?.knownBytes });
  const limit = t.limits.bodySizeLimit;
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (limit > 0 && bytes > limit) throw new ScrapeError('body_size_limit', `body_size_limit exceeded (${limit} bytes)`);
      reader.write(chunk);
    }
    reader.end();
  } catch (err) {
    res.body.destroy();
    if (err instanceof ScrapeError) throw err;
    if (err instanceof OutriderError && err.code === 'OUTRIDER_ERR_FORMAT_PARSE') throw new ScrapeError('parse', err.message);
    if (err instanceof OutriderError) throw new ScrapeError('limit', err.message);
    throw err;
  }
  return { openMetrics, bytes };
}
