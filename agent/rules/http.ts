/** Mounts the rules API (`/api/v1/rules`, `/api/v1/alerts`) on the agent's endpoint (./mount.ts loads it with its first request). */
import { sendJson } from '../core/http-server';
import type { RouteSink } from '../core/lazy-routes';
import { alertsBody, filterFrom, rulesBody } from './api';
import type { RuleGroup } from './group';

export function mountRulesApi(server: RouteSink, groups: () => readonly RuleGroup[]): void {
  server.route('GET', '/api/v1/rules', (_req, res, url) => {
    const f = filterFrom(url);
    if (typeof f === 'string') sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: f });
    else sendJson(res, 200, rulesBody(groups(), f));
  });
  server.route('GET', '/api/v1/alerts', (_req, res) => sendJson(res, 200, alertsBody(groups())));
}
