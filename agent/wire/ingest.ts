/**
 * The ingest exchange over HTTP (docs/protocol.md): where an agent posts its frames, with which content type, and
 * the JSON answers the aggregator gives.
 *
 *   200 {"status": "applied" | "duplicate" | "ok"}           one frame: applied, already applied, definitions kept
 *   200 {"status": "frames", "results": [FrameAnswer, ...]}  several frames: one outcome each, up to the first refused
 *   4xx/5xx {"status": "error", "code", "message", ...}      one frame refused (409 adds `missing`: series ids)
 */

export const INGEST_PATH = '/api/v1/ingest';
export const BATCH_CONTENT_TYPE = 'application/x-outrider-batch';

/** The request path under an endpoint URL (an endpoint may carry a path prefix, e.g. behind a proxy). */
export function ingestPath(endpoint: URL): string {
  return (endpoint.pathname.replace(/\/+$/, '') || '') + INGEST_PATH;
}

/** What a frame came to when it was not refused. */
export type AckStatus = 'applied' | 'duplicate' | 'ok';

/** One frame's outcome in the answer to a body of several frames (a refused one adds the error fields). */
export interface FrameAnswer {
  epoch: number;
  seq: number;
  status: string;
}

/** The answer to a body of several frames. */
export interface FramesAnswer {
  status: 'frames';
  results: Array<FrameAnswer & Record<string, unknown>>;
}

/** The answer to a refused request. */
export interface ErrorAnswer {
  status: 'error';
  code: string;
  message: string;
  [extra: string]: unknown;
}

/** The bodies of the one-frame answers, serialised once (they answer every batch). */
export const ACK_BODIES: Readonly<Record<AckStatus, Buffer>> = {
  applied: Buffer.from(JSON.stringify({ status: 'applied' }) + '\n'),
  duplicate: Buffer.from(JSON.stringify({ status: 'duplicate' }) + '\n'),
  ok: Buffer.from(JSON.stringify({ status: 'ok' }) + '\n'),
};

/** The per-frame outcomes of a 2xx answer to several frames; undefined for any other answer. */
export function parseFrameAnswers(body: string): FrameAnswer[] | undefined {
  try {
    const j = JSON.parse(body) as { status?: unknown; results?: unknown };
    if (j.status !== 'frames' || !Array.isArray(j.results)) return undefined;
    return j.results.filter((r): r is FrameAnswer => r !== null && typeof r === 'object' && typeof r.seq === 'number' && typeof r.epoch === 'number' && typeof r.status === 'string');
  } catch {
    return undefined;
  }
}
