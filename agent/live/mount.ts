/**
 * The live page's routes, its code (./index.ts: the page's files, the sampler, the streams) loaded with the first
 * request to one of them. The paths and the page's metrics are there from the start.
 */
import { mountOnFirstRequest, type LazyRoute, type RouteSink } from '../core/lazy-routes';
import type { LiveDeps, LivePage } from './index';
import { liveMetrics } from './metrics';

/** What LivePage.mount mounts: the page's files (./assets.ts) and its two API paths. */
export const liveRoutes: readonly LazyRoute[] = ['/', '/live/live.js', '/live/live.css', '/live/uPlot.iife.min.js', '/live/uPlot.min.css', '/api/v1/live/history', '/api/v1/live/stream'].map(
  (path) => ({ methods: ['GET'], path }),
);

/** LiveDeps, with the owners of the host collectors' series in place of the classifier made from them. */
export interface LiveMountDeps extends Omit<LiveDeps, 'sourceOf'> {
  hostOwners: () => ReadonlySet<string>;
}

/** The mounted page: built with its first request; close() ends its streams, if any. */
export interface MountedLive {
  /** The page, once a request built it. */
  readonly page: LivePage | undefined;
  close(): void;
}

export function mountLive(server: RouteSink, deps: LiveMountDeps): MountedLive {
  liveMetrics(deps.telemetry);
  let page: LivePage | undefined;
  let closed = false;
  mountOnFirstRequest(server, liveRoutes, () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const live = require('./index') as typeof import('./index');
    const { hostOwners, ...rest } = deps;
    const p = new live.LivePage({ ...rest, sourceOf: live.sourceClassifier(new Set(hostOwners())) });
    if (closed) p.close();
    page = p;
    return (sink) => p.mount(sink);
  });
  return {
    get page() {
      return page;
    },
    close() {
      closed = true;
      page?.close();
    },
  };
}
