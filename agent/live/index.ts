/**
 * The live page on the agent's endpoint: GET / and its files (assets.ts), GET /api/v1/live/history (the layout,
 * the panels over the local history in a window, the tables), GET /api/v1/live/stream (one frame per second by
 * Server-Sent Events while a page is open; stream.ts). docs/live.md is the page tour.
 */
import type { RouteSink } from '../core/lazy-routes';
import type { Telemetry } from '../core/telemetry';
import type { HistoryReader } from '../history/types';
import type { Store } from '../store/store';
import { gzipSync } from 'node:zlib';
import { acceptsGzip, securityHeaders } from '../exposition/static';
import { liveAssets } from './assets';
import type { SourceOf } from './feed';
import { historyBody, HistoryBody } from './history';
import { liveMetrics } from './metrics';
import type { LiveOptions } from './options';
import { panels, Unit } from './panels';
import { feedPanels, Sampler } from './sampler';
import { LiveStreams } from './stream';

export { liveKeys } from './keys';
export { optionsFrom } from './options';
export { sourceClassifier } from './feed';

export interface LiveDeps {
  store: Store;
  options: LiveOptions;
  sourceOf: SourceOf;
  telemetry?: Telemetry;
  /** The local history when there is one (read on each page load). */
  history?: () => HistoryReader | undefined;
  /** What the page's header shows. */
  info: () => { version: string };
}

export interface PanelLayout {
  id: string;
  title: string;
  unit: Unit;
  group: 'host' | 'pod' | 'events' | 'app' | 'agent';
}

const groupOf: Record<string, PanelLayout['group']> = {
  cpu: 'host',
  memory: 'host',
  disk: 'host',
  network: 'host',
  pressure: 'host',
  pod_cpu: 'pod',
  pod_memory: 'pod',
  alerts: 'events',
  anomalies: 'events',
  forecasts: 'events',
  app_top: 'app',
  app_updates: 'app',
  lag: 'agent',
  delivery: 'agent',
  drops: 'agent',
  cardinality: 'agent',
  scrape: 'agent',
};

/** Every panel the page draws, in page order within its group. */
export function layout(): PanelLayout[] {
  return [...panels, ...feedPanels].map((p) => ({ id: p.id, title: p.title, unit: p.unit, group: groupOf[p.id] ?? 'agent' }));
}

export class LivePage {
  readonly streams: LiveStreams;
  readonly assets = liveAssets();
  readonly #d: LiveDeps;
  #sampler: Sampler | undefined;

  constructor(deps: LiveDeps) {
    this.#d = deps;
    const o = deps.options;
    const { streams: streamsTotal, clients: open } = liveMetrics(deps.telemetry);
    this.streams = new LiveStreams({
      store: deps.store,
      maxClients: o.maxClients,
      clientBufferBytes: o.clientBufferBytes,
      intervalMs: o.intervalMs,
      heartbeatMs: o.heartbeatMs,
      frame: (now) => this.#sampling().frame(now),
      ...(deps.telemetry && { beforeRead: () => deps.telemetry!.beforeRead() }),
      onIdle: () => {
        this.#sampler = undefined;
      },
      onEvent: (ev, clients) => {
        if (ev !== 'closed') streamsTotal?.inc({ result: ev });
        open?.set(clients);
      },
    });
  }

  /** The first screen of a page: layout, history over the last `windowMs`, tables, header facts. */
  first(windowMs: number, nowMs = Date.now()): unknown {
    const reader = this.#d.history?.();
    const empty: HistoryBody = { stepMs: this.#d.options.intervalMs, t: [], panels: {} };
    const history = reader ? historyBody(reader, nowMs - windowMs, nowMs) : empty;
    const tables = (this.#sampler ?? new Sampler(this.#d.store, this.#d.sourceOf)).tables();
    return { layout: layout(), history, tables, info: { ...this.#d.info(), series: this.#d.store.seriesCount, history: reader !== undefined } };
  }

  mount(server: RouteSink): void {
    for (const p of this.assets.paths) server.route('GET', p, (req, res) => this.assets.serve(p, req, res));
    server.route('GET', '/api/v1/live/history', (req, res, url) => {
      const max = this.#d.options.historyMs;
      const asked = Number(url.searchParams.get('window') ?? NaN) * 1000;
      const windowMs = Number.isFinite(asked) && asked > 0 ? Math.min(asked, max) : max;
      const body = Buffer.from(JSON.stringify(this.first(windowMs)));
      const gz = acceptsGzip(req);
      const out = gz ? gzipSync(body) : body;
      res.writeHead(200, {
        ...securityHeaders,
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Length': out.length,
        Vary: 'Accept-Encoding',
        ...(gz ? { 'Content-Encoding': 'gzip' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : out);
    });
    server.route('GET', '/api/v1/live/stream', (req, res) => this.streams.attach(req, res));
  }

  close(): void {
    this.streams.close();
  }

  #sampling(): Sampler {
    return (this.#sampler ??= new Sampler(this.#d.store, this.#d.sourceOf));
  }
}
