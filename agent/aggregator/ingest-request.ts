/**
 * What the aggregator's POST routes (batches, events) share: the refusal answer, counted by result, and the
 * sender's grant with the request's body, read within a size bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';
import { isOutriderError } from '../core/errors';
import { readBody, sendJson } from '../core/http-server';
import type { ErrorAnswer } from '../wire/ingest';
import type { BearerTokens, Grant } from './auth';

/** Answers a refused request with the error document, counted under `result`; a 401 asks for a bearer token. */
export function refuseRequest(res: ServerResponse, requests: Counter, status: number, result: string, code: string, message: string, extra: Record<string, unknown> = {}): void {
  requests.inc({ result });
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  if (status === 429) res.setHeader('Retry-After', '60');
  const body: ErrorAnswer = { status: 'error', code, message, ...extra };
  sendJson(res, status, body);
}

/**
 * The sender's grant and the request's body, or undefined once the request is refused: 401 without a token that may
 * send, 413 past `maxBodyBytes`.
 */
export async function grantedBody(
  req: IncomingMessage,
  tokens: BearerTokens,
  maxBodyBytes: number,
  refuse: (status: number, result: string, code: string, message: string) => void,
): Promise<{ grant: Grant; body: Buffer } | undefined> {
  const grant = tokens.grant(req);
  if (!grant || !tokens.authorized(req)) {
    refuse(401, 'unauthorized', 'OUTRIDER_ERR_AGG_UNAUTHORIZED', 'a valid bearer token is required');
    return undefined;
  }
  try {
    return { grant, body: await readBody(req, maxBodyBytes) };
  } catch (err) {
    if (!isOutriderError(err, 'OUTRIDER_ERR_HTTP_BODY_TOO_LARGE')) throw err;
    refuse(413, 'too_large', 'OUTRIDER_ERR_AGG_TOO_LARGE', err.message);
    return undefined;
  }
}
