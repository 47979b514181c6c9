/**
 * /debug/pprof/ on an HttpServer (the agent's endpoint, the aggregator's listener), mounted only when
 * profiling.enabled is set:
 *   GET /debug/pprof/                  what is here (JSON)
 *   GET /debug/pprof/profile?seconds=N a CPU profile of N seconds (default 10, at most profiling.max_duration)
 *   GET /debug/pprof/heap              a heap snapshot, refused with 503 when it would not fit in memory
 *   GET /debug/pprof/summary           heap and event-loop summary (JSON)
 * Access: with a token (profiling.token_file), `Authorization: Bearer <token>` compared in constant time; without
 * one, loopback clients only. Nothing here is reachable when profiling is off (404).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { OutriderError } from '../errors';
import { HttpServer, sendJson } from '../http-server';
import type { ProfilingOptions } from './options';
import { memoryFacts, Profiler, type MemoryFacts } from './profiler';

export { profilingKeys } from './keys';
export { optionsFrom as profilingOptionsFrom } from './options';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Whether the request may profile: a matching bearer token when one is set, else a loopback peer. */
export function allowed(req: IncomingMessage, tokenDigest: Buffer | undefined): boolean {
  if (tokenDigest === undefined) return isLoopback(req.socket.remoteAddress);
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(h);
  // Both sides hashed to 32 bytes: the comparison takes the same time whatever the length or content sent.
  return timingSafeEqual(digest(m ? m[1]!.trim() : ''), tokenDigest) && m !== null;
}

export interface MountedProfiling {
  profiler: Profiler;
  close(): void;
}

export function mountProfiling(server: HttpServer, opts: ProfilingOptions, log: Logger, memory?: () => MemoryFacts): MountedProfiling | undefined {
  if (!opts.enabled) return undefined;
  const profiler = new Profiler({ memory: memory ?? (() => memoryFacts(opts.memoryLimitBytes)) });
  const tokenDigest = opts.token === undefined ? undefined : digest(opts.token);
  const guard = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (allowed(req, tokenDigest)) return true;
    const why = tokenDigest ? 'a valid bearer token is required (profiling.token_file)' : 'only loopback clients may profile unless profiling.token_file is set';
    if (tokenDigest) res.setHeader('WWW-Authenticate', 'Bearer');
    sendJson(res, tokenDigest ? 401 : 403, { error: why });
    return false;
  };
  const refuse = (res: ServerResponse, err: unknown): void => {
    const code = err instanceof OutriderError ? err.code : 'OUTRIDER_ERR_PROFILING';
    const status = code === 'OUTRIDER_ERR_PROFILING_BUSY' ? 409 : code === 'OUTRIDER_ERR_PROFILING_HEAP_LIMIT' ? 503 : 500;
    sendJson(res, status, { error: err instanceof Error ? err.message : String(err), code });
  };

  server.route('GET', '/debug/pprof', (_req, res) => {
    res.writeHead(301, { Location: '/debug/pprof/', 'Content-Length': 0 });
    res.end();
  });
  server.route('GET', '/debug/pprof/', (req, res) => {
    if (!guard(req, res)) return;
    sendJson(res, 200, {
      profile: '/debug/pprof/profile?seconds=N: a V8 CPU profile (.cpuprofile) of N seconds',
      heap: '/debug/pprof/heap: a heap snapshot (.heapsnapshot); refused when it would not fit in memory',
      summary: '/debug/pprof/summary: heap and event-loop summary',
      max_seconds: opts.maxDurationMs / 1000,
    });
  });

  server.route('GET', '/debug/pprof/profile', async (req, res, url) => {
    if (!guard(req, res)) return;
    const asked = Number(url.searchParams.get('seconds') ?? 10);
    if (!Number.isFinite(asked) || asked <= 0) return sendJson(res, 400, { error: 'seconds must be a positive number', code: 'OUTRIDER_ERR_PROFILING_ARGS' });
    const ms = Math.min(asked * 1000, opts.maxDurationMs);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    log.info({ seconds: ms / 1000 }, 'CPU profile started.');
    try {
      const profile = await profiler.cpuProfile(ms, abort.signal);
      if (res.destroyed) return;
      const body = JSON.stringify(profile);
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Disposition': `attachment; filename="outrider-${process.pid}-${Date.now()}.cpuprofile"`,
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
      });
      res.end(body);
    } catch (err) {
      refuse(res, err);
    }
  });

  server.route('GET', '/debug/pprof/heap', async (req, res) => {
    if (!guard(req, res)) return;
    const check = profiler.heapCheck();
    if (!check.allowed) {
      log.warn({ heap_used_bytes: check.heapUsedBytes, usage_bytes: check.usageBytes, limit_bytes: check.limitBytes }, 'Heap snapshot refused: it would not fit in memory.');
      return refuse(res, new OutriderError('OUTRIDER_ERR_PROFILING_HEAP_LIMIT', `heap snapshot refused: ${check.reason}`));
    }
    log.warn({ heap_used_bytes: check.heapUsedBytes }, 'Heap snapshot started; the event loop stops while it is taken.');
    let started = false;
    try {
      await profiler.heapSnapshot((chunk) => {
        if (!started) {
          started = true;
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Disposition': `attachment; filename="outrider-${process.pid}-${Date.now()}.heapsnapshot"`, 'Cache-Control': 'no-store' });
        }
        res.write(chunk);
      });
      res.end();
    } catch (err) {
      if (!started) refuse(res, err);
      else res.destroy();
    }
  });

  server.route('GET', '/debug/pprof/summary', (req, res) => {
    if (!guard(req, res)) return;
    sendJson(res, 200, profiler.summary());
  });

  return { profiler, close: () => profiler.close() };
}
