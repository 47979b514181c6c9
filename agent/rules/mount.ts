/**
 * The rules API's routes, its code (./http.ts, ./api.ts) loaded with the first request: the paths are bound at
 * start. Without rule files the groups are an empty list, answered without the rules manager ever loading.
 */
import { mountOnFirstRequest, type LazyRoute, type RouteSink } from '../core/lazy-routes';
import type { RuleGroup } from './group';

/** What mountRulesApi mounts. */
export const rulesRoutes: readonly LazyRoute[] = [
  { methods: ['GET'], path: '/api/v1/rules' },
  { methods: ['GET'], path: '/api/v1/alerts' },
];

export function mountRulesApiOnFirstRequest(server: RouteSink, groups: () => readonly RuleGroup[]): void {
  mountOnFirstRequest(server, rulesRoutes, () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { mountRulesApi } = require('./http') as typeof import('./http');
    return (sink) => mountRulesApi(sink, groups);
  });
}
