/**
 * HTTP handlers for the history's read endpoints (api.ts answers them). GET takes the parameters from the query
 * string; POST also from an `application/x-www-form-urlencoded` body, as Prometheus (and Grafana) use them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Handler, readBody, sendJson } from '../core/http-server';
import { ApiAnswer, HistoryIndex, labelsApi, labelValuesApi, seriesApi } from './api';

/** Largest form body a POST may carry. */
export const MAX_FORM_BYTES = 256 * 1024;

export interface HistoryHandlers {
  series: Handler;
  labels: Handler;
  /** Mounted under `/api/v1/label/` (a prefix route): takes `/api/v1/label/<name>/values`. */
  labelValues: Handler;
}

export function historyHandlers(history: () => HistoryIndex | undefined): HistoryHandlers {
  const handle = (run: (params: URLSearchParams, url: URL) => ApiAnswer | undefined) => async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const params = await paramsOf(req, url);
    if (!params) return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: `the form body must be application/x-www-form-urlencoded and at most ${MAX_FORM_BYTES} bytes` });
    const a = run(params, url);
    if (!a) return sendJson(res, 404, { status: 'error', errorType: 'not_found', error: 'not found' });
    sendJson(res, a.status, a.body);
  };
  return {
    series: handle((p) => seriesApi(history(), p)),
    labels: handle((p) => labelsApi(history(), p)),
    labelValues: handle((p, url) => {
      const m = /^\/api\/v1\/label\/([^/]+)\/values$/.exec(url.pathname);
      if (!m) return undefined;
      let name: string;
      try {
        name = decodeURIComponent(m[1]!);
      } catch {
        name = m[1]!;
      }
      return labelValuesApi(history(), name, p);
    }),
  };
}

async function paramsOf(req: IncomingMessage, url: URL): Promise<URLSearchParams | undefined> {
  const params = new URLSearchParams(url.search);
  if (req.method !== 'POST') return params;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  let body: Buffer;
  try {
    body = await readBody(req, MAX_FORM_BYTES);
  } catch {
    return undefined;
  }
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
  return params;
}
