/**
 * HTTP push listener (push.listen, off by default): POST /api/v1/push with Prometheus text lines. Counter samples are
 * INCREMENTS added to the series (like StatsD counts; negative values refused); gauges are set. The body is bounded by
 * push.max_body. With `?wait=durable` the answer comes once the reporter has put the pushed values in its spool on
 * disk (synced) or the aggregator acknowledged them (the reporter's durability mark), or 504 after 10 s, so a client
 * knows what a crash can no longer lose.
 *
 * Bounds: counter increments must be finite (NaN or ±Inf would poison the sum for good; gauges may be anything); new
 * series count against the push budget (store.budget.push), and what the store refuses is counted and said in the
 * answer (`dropped`); while the memory limiter sheds, requests are answered 503 with Retry-After.
 */
import type { Component } from '../../core/component';
import type { AgentContext, Extension } from '../../core/context';
import { isOutriderError } from '../../core/errors';
import { durabilityOf } from '../../core/durability';
import { listenerLimits } from '../../core/connection-limits';
import { HttpServer, readBody, sendJson } from '../../core/http-server';
import { parsePush } from './parse';
import { optionsFrom } from './options';
import { mountRemoteWriteReceive } from '../remote-write-receive/index';

export class PushListener implements Component {
  readonly name = 'push';
  readonly #ctx: AgentContext;
  readonly #server: HttpServer;

  constructor(ctx: AgentContext) {
    this.#ctx = ctx;
    const opts = optionsFrom(ctx.config);
    const maxBody = opts.maxBodyBytes;
    const accepted = ctx.telemetry.counter('outrider_push_samples_total', 'Samples accepted by the push listener.');
    const refused = ctx.telemetry.counter(
      'outrider_push_refused_requests_total',
      'Push requests refused, by reason (too_large, malformed, non_finite: a NaN or infinite counter increment, memory_limit: the memory limiter is shedding).',
      ['reason'],
    );
    const notStored = ctx.telemetry.counter('outrider_push_dropped_samples_total', 'Pushed samples the store refused (a new series past a series budget or bound, or while the memory limiter sheds).');
    this.#server = new HttpServer({
      name: 'push',
      listen: opts.listen ?? '',
      log: ctx.log,
      requestTimeoutMs: opts.http.requestTimeoutMs,
      headersTimeoutMs: opts.http.headerTimeoutMs,
      limits: listenerLimits('push', opts.http, ctx.log, ctx.telemetry),
    });
    this.#server.route('POST', '/api/v1/push', async (req, res, url) => {
      if (ctx.store.shedding) {
        // The memory limiter sheds: refuse before reading the body, and say when to come back.
        refused.inc({ reason: 'memory_limit' });
        req.resume();
        res.setHeader('Retry-After', '5');
        return sendJson(res, 503, { status: 'error', code: 'OUTRIDER_ERR_PUSH_MEMORY_LIMIT', message: 'the agent is over its memory limiter soft limit; retry later' });
      }
      let body: Buffer;
      try {
        body = await readBody(req, maxBody);
      } catch (err) {
        if (isOutriderError(err, 'OUTRIDER_ERR_HTTP_BODY_TOO_LARGE')) {
          refused.inc({ reason: 'too_large' });
          return sendJson(res, 413, { status: 'error', code: 'OUTRIDER_ERR_PUSH_TOO_LARGE', message: err.message });
        }
        throw err;
      }
      const { samples, errors } = parsePush(body.toString('utf8'));
      if (errors.length > 0) {
        refused.inc({ reason: 'malformed' });
        return sendJson(res, 400, { status: 'error', code: 'OUTRIDER_ERR_PUSH_MALFORMED', message: errors.slice(0, 10).join('; ') });
      }
      // A NaN or infinite increment would poison the counter for good (every later sum is NaN or Inf).
      const nonFinite = samples.find((s) => s.type === 'counter' && !Number.isFinite(s.value));
      if (nonFinite) {
        refused.inc({ reason: 'non_finite' });
        return sendJson(res, 400, {
          status: 'error',
          code: 'OUTRIDER_ERR_PUSH_NON_FINITE',
          message: `counter increment ${nonFinite.name} is ${nonFinite.value}: counter increments must be finite numbers >= 0 (gauges may be NaN or ±Inf)`,
        });
      }
      const neg = samples.find((s) => s.type === 'counter' && !(s.value >= 0));
      if (neg) {
        refused.inc({ reason: 'malformed' });
        return sendJson(res, 400, { status: 'error', code: 'OUTRIDER_ERR_PUSH_MALFORMED', message: `counter increment ${neg.name} must be >= 0` });
      }
      const stored = ctx.store.withSource('push', () => {
        let n = 0;
        for (const s of samples) {
          const desc = { name: s.name, help: 'Pushed through /api/v1/push.', type: s.type, restartsWithAgent: true };
          if (s.type === 'counter' ? ctx.store.add(desc, s.labels, s.value) : ctx.store.set(desc, s.labels, s.value)) n++;
        }
        return n;
      });
      accepted.inc(stored);
      if (stored < samples.length) notStored.inc(samples.length - stored);
      const gen = ctx.store.generation;
      if (url.searchParams.get('wait') === 'durable') {
        const durable = await durabilityOf(ctx.store, 'report').whenDurable(gen, 10_000);
        if (!durable) return sendJson(res, 504, { status: 'error', code: 'OUTRIDER_ERR_PUSH_NOT_DURABLE', message: 'the values were not spooled within 10 s' });
      }
      sendJson(res, 200, { status: 'ok', samples: stored, ...(stored < samples.length ? { dropped: samples.length - stored } : {}) });
    });
    mountRemoteWriteReceive(this.#server, ctx, maxBody);
  }

  url(): string {
    return this.#server.url();
  }

  async start(): Promise<void> {
    await this.#server.start();
    this.#ctx.health.report(this.name, 'running', { ready: true, detail: `listening on ${this.#server.url()}` });
    this.#ctx.log.info({ url: this.#server.url() + '/api/v1/push' }, 'Push listener is ready.');
  }

  async stop(): Promise<void> {
    await this.#server.stop();
  }
}

export const pushExtension: Extension = (ctx) => (optionsFrom(ctx.config).listen !== undefined ? [new PushListener(ctx)] : []);
