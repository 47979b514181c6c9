/**
 * The query API's routes, its code (./api.ts, the PromQL engine and evaluator) loaded with the first query: the
 * paths are bound at start, what answers them is required when one is first asked for.
 */
import { mountOnFirstRequest, type LazyRoute, type RouteSink } from '../core/lazy-routes';
import type { HistoryReader } from '../history/types';
import type { QueryOptions } from './options';

/** What QueryApi.mount mounts. */
export const queryRoutes: readonly LazyRoute[] = [
  { methods: ['GET', 'POST'], path: '/api/v1/query' },
  { methods: ['GET', 'POST'], path: '/api/v1/query_range' },
];

export function mountQueryApi(server: RouteSink, history: () => HistoryReader | undefined, opts: () => QueryOptions): void {
  mountOnFirstRequest(server, queryRoutes, () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { QueryApi } = require('./api') as typeof import('./api');
    const api = new QueryApi(history, opts);
    return (sink) => api.mount(sink);
  });
}
