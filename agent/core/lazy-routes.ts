/**
 * Routes whose code loads with their first request. The paths are bound on the server at once (so a request is
 * routed, counted and answered as before); the module behind them is required when one of them is first asked for,
 * its mount function records its handlers, and every request goes to the recorded handler from then on. An agent
 * that is never asked for its query API or live page never evaluates their code (docs/footprint.md, "What loads").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Handler } from './http-server';

/** Where a mount function puts its routes: HttpServer itself, or the recorder below. */
export interface RouteSink {
  route(methods: string | string[], path: string, handler: Handler): unknown;
}

/** A route a lazily loaded module will mount: its methods (HEAD goes with GET, as HttpServer does) and exact path. */
export interface LazyRoute {
  readonly methods: readonly string[];
  readonly path: string;
}

/**
 * Binds `routes` on `server`; the first request to one calls `load` (which requires the module and returns its
 * mount function) and hands every request to what that mounted. `routes` must list exactly what the mount function
 * mounts (each module's test holds its list to its mount).
 */
export function mountOnFirstRequest(server: RouteSink, routes: readonly LazyRoute[], load: () => (sink: RouteSink) => void): void {
  let table: Map<string, Map<string, Handler>> | undefined;
  const loaded = (): Map<string, Map<string, Handler>> => {
    if (table) return table;
    const t = new Map<string, Map<string, Handler>>();
    load()(recorder(t));
    return (table = t);
  };
  for (const r of routes) {
    server.route([...r.methods], r.path, (req: IncomingMessage, res: ServerResponse, url: URL) => {
      const byMethod = loaded().get(r.path);
      const handler = byMethod?.get(req.method ?? 'GET') ?? (req.method === 'HEAD' ? byMethod?.get('GET') : undefined);
      if (!handler) throw new Error(`no ${req.method} handler for ${r.path} in the module loaded for it`);
      return handler(req, res, url);
    });
  }
}

/** The routes a mount function mounts, by path and method (tests compare them with a LazyRoute list). */
export function recordRoutes(mount: (sink: RouteSink) => void): Map<string, Map<string, Handler>> {
  const t = new Map<string, Map<string, Handler>>();
  mount(recorder(t));
  return t;
}

function recorder(t: Map<string, Map<string, Handler>>): RouteSink {
  return {
    route(methods, path, handler) {
      let byMethod = t.get(path);
      if (!byMethod) t.set(path, (byMethod = new Map()));
      for (const m of Array.isArray(methods) ? methods : [methods]) byMethod.set(m, handler);
    },
  };
}
