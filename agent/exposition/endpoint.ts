/**
 * The agent's local endpoint: /metrics (Prometheus text 0.0.4 or OpenMetrics 1.0.0 by Accept, gzip when asked,
 * served from the render cache), /healthz (alive, with component states), /readyz (ready, 503 until the first
 * collection is done and listeners are up), and a JSON API under /api/v1.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Health } from '../core/component';
import type { HistoryIndex } from '../history/api';
import { historyHandlers } from '../history/http';
import { Store } from '../store/store';
import { RenderCache } from './cache';
import { HttpServer, sendJson } from '../core/http-server';
import { contentTypes, formatValue, negotiate } from './render';
import { collectSelection, CollectorSet, renderSelected } from './collect-filter';

export interface EndpointOptions {
  store: Store;
  health: Health;
  /** Extra facts for /healthz and /api/v1/status (version, native status, config...). */
  status?: () => Record<string, unknown>;
  /**
   * Called before the store's series are read (/metrics, /api/v1/series): a writer that defers its writes catches up
   * (awaited when it returns a promise).
   */
  beforeRead?: () => Promise<void> | void;
  /** The body of GET /api/v1/targets (the scrape targets, in Prometheus's shape). */
  targets?: () => unknown;
  /** The local history behind /api/v1/series?match[]=, /api/v1/labels and /api/v1/label/<name>/values. */
  history?: () => HistoryIndex | undefined;
  /** The registered and enabled collectors, for node_exporter's `collect[]` / `exclude[]` (collect-filter.ts). */
  collectors?: () => CollectorSet;
}

function acceptsGzip(ae: string | undefined): boolean {
  if (!ae) return false;
  return ae.split(',').some((p) => {
    const [enc, ...params] = p
      .trim()
      .split(';')
      .map((x) => x.trim());
    const q = params.find((x) => x.startsWith('q='));
    return (enc === 'gzip' || enc === '*') && !(q && Number(q.slice(2)) === 0);
  });
}

function filteredBody(text: string, gzip: boolean): Buffer {
  const raw = Buffer.from(text, 'utf8');
  return gzip ? gzipSync(raw, { level: 1 }) : raw;
}

export function mountEndpoint(server: HttpServer, opts: EndpointOptions): RenderCache {
  const cache = new RenderCache(opts.store);
  // A scraper sends the same Accept and Accept-Encoding every time: the last ones' answers are kept.
  let lastAccept: string | undefined;
  let lastFormat = negotiate(undefined);
  let lastEncoding: string | undefined;
  let lastGzip = false;

  server.route('GET', '/metrics', async (req: IncomingMessage, res: ServerResponse, url) => {
    const accept = req.headers.accept;
    if (accept !== lastAccept) {
      lastFormat = negotiate(accept);
      lastAccept = accept;
    }
    const format = lastFormat;
    const encoding = req.headers['accept-encoding'];
    if (encoding !== lastEncoding) {
      lastGzip = acceptsGzip(encoding);
      lastEncoding = encoding;
    }
    const gzip = lastGzip;
    const selection = opts.collectors ? collectSelection(url.searchParams, opts.collectors()) : ({ kind: 'all' } as const);
    if (selection.kind === 'error') {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(selection.message) });
      res.end(req.method === 'HEAD' ? undefined : selection.message);
      return;
    }
    const caught = opts.beforeRead?.();
    if (caught instanceof Promise) await caught;
    // A filtered scrape is rendered for the request (not cached: its parameters vary).
    const body = selection.kind === 'all' ? cache.get(format, gzip) : filteredBody(renderSelected(opts.store, selection.names, format), gzip);
    const headers: Record<string, string | number> = { 'Content-Type': contentTypes[format], 'Content-Length': body.length, Vary: 'Accept, Accept-Encoding' };
    if (gzip) headers['Content-Encoding'] = 'gzip';
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });

  server.route('GET', '/healthz', (_req, res) => {
    const alive = opts.health.alive();
    sendJson(res, alive ? 200 : 503, { status: alive ? 'ok' : 'failed', ...opts.status?.(), components: opts.health.all() });
  });

  server.route('GET', '/readyz', (_req, res) => {
    const ready = opts.health.ready();
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', components: opts.health.all() });
  });

  server.route('GET', '/api/v1/status', (_req, res) => {
    sendJson(res, 200, { ...opts.status?.(), series: opts.store.seriesCount, generation: opts.store.generation, components: opts.health.all() });
  });

  // /api/v1/series?match=<name prefix>&limit=N: the store's series with their values, as JSON.
  server.route('GET', '/api/v1/targets', (_req, res) => {
    sendJson(res, 200, opts.targets?.() ?? { status: 'success', data: { activeTargets: [], droppedTargets: [] } });
  });

  // Prometheus's read API over the local history (docs/history.md); /api/v1/series without match[] is the store listing.
  const history = opts.history && historyHandlers(opts.history);
  if (history) {
    server.route(['GET', 'POST'], '/api/v1/labels', history.labels);
    server.routePrefix(['GET', 'POST'], '/api/v1/label/', history.labelValues);
    server.route('POST', '/api/v1/series', history.series);
  }

  server.route('GET', '/api/v1/series', async (req, res, url) => {
    if (history && url.searchParams.has('match[]')) return history.series(req, res, url);
    const match = url.searchParams.get('match') ?? '';
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 1000) || 1000, 1), 100_000);
    const out: unknown[] = [];
    let truncated = false;
    const caught = opts.beforeRead?.();
    if (caught instanceof Promise) await caught;
    outer: for (const fam of opts.store.families()) {
      if (match && !fam.name.startsWith(match)) continue;
      for (const s of fam.series.values()) {
        if (out.length >= limit) {
          truncated = true;
          break outer;
        }
        out.push({
          name: fam.name,
          type: fam.type,
          labels: s.labels,
          value: s.dist ? undefined : formatValue(s.value),
          count: s.dist?.count,
          sum: s.dist?.sum,
          quantiles: s.dist?.quantiles,
          buckets: s.dist?.buckets?.map(([le, c]) => [formatValue(le), c]),
          updated: new Date(s.updatedMs).toISOString(),
        });
      }
    }
    sendJson(res, 200, { series: out, truncated });
  });

  server.route('GET', '/', (_req, res) => {
    const body =
      '<!doctype html><html><head><title>Outrider</title></head><body><h1>Outrider</h1><ul>' +
      '<li><a href="/metrics">/metrics</a></li><li><a href="/healthz">/healthz</a></li><li><a href="/readyz">/readyz</a></li>' +
      '<li><a href="/api/v1/status">/api/v1/status</a></li><li><a href="/api/v1/series">/api/v1/series</a></li></ul></body></html>\n';
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });

  return cache;
}
