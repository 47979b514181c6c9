/**
 * Alertmanager delivery with Prometheus's notifier semantics: alerts go into one bounded queue (when full, the oldest
 * are dropped and counted), are taken in batches of `max_batch` and POSTed as JSON to `/api/v2/alerts` of every
 * configured Alertmanager at once, each request under a timeout. There is no retry: the rules resend firing alerts
 * every resend delay and resolved ones for 15 minutes, so a lost batch is made good by the next send. A batch no
 * Alertmanager took counts its alerts as dropped. External labels are added to each alert that lacks them.
 */
import type { Logger } from 'pino';
import type { Labels } from '../store/types';
import type { RuleMetrics } from './metrics';
import type { NotifierOptions } from './options';

export interface NotifyAlert {
  labels: Labels;
  annotations: Labels;
  startsAtMs: number;
  endsAtMs: number;
  generatorURL: string;
}

export class Notifier {
  readonly #opts: NotifierOptions;
  readonly #log: Logger;
  readonly #metrics: RuleMetrics;
  readonly #externalLabels: Labels;
  #queue: NotifyAlert[] = [];
  #sending: Promise<void> | undefined;
  #stopped = false;

  constructor(opts: NotifierOptions, deps: { log: Logger; metrics: RuleMetrics; externalLabels: Labels }) {
    this.#opts = opts;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#externalLabels = deps.externalLabels;
  }

  get queueLength(): number {
    return this.#queue.length;
  }

  /** Queues alerts; drops the oldest past the capacity. */
  send(alerts: readonly NotifyAlert[]): void {
    if (alerts.length === 0 || this.#opts.urls.length === 0 || this.#stopped) return;
    for (const a of alerts) {
      const labels: Record<string, string> = { ...a.labels };
      for (const [k, v] of Object.entries(this.#externalLabels)) if (!(k in labels)) labels[k] = v;
      this.#queue.push({ ...a, labels });
    }
    const over = this.#queue.length - this.#opts.queueCapacity;
    if (over > 0) {
      this.#queue.splice(0, over);
      this.#metrics.notifyDropped.inc(over);
      this.#log.warn({ dropped: over }, 'The alert notification queue is full; dropping the oldest alerts.');
    }
    this.#metrics.notifyQueue.set(this.#queue.length);
    this.#sending ??= this.#drain().finally(() => (this.#sending = undefined));
  }

  /** Waits for the queue to empty (tests, stop). */
  async flush(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  /** Stops taking alerts; waits up to `graceMs` for what is queued to be sent. */
  async stop(graceMs = 2000): Promise<void> {
    this.#stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#opts.maxBatch);
      this.#metrics.notifyQueue.set(this.#queue.length);
      const body = JSON.stringify(
        batch.map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          startsAt: new Date(a.startsAtMs).toISOString(),
          endsAt: new Date(a.endsAtMs).toISOString(),
          generatorURL: a.generatorURL,
        })),
      );
      const results = await Promise.all(this.#opts.urls.map((url) => this.#post(url, body, batch.length)));
      if (!results.some(Boolean)) this.#metrics.notifyDropped.inc(batch.length);
    }
  }

  async #post(base: string, body: string, count: number): Promise<boolean> {
    const url = base.replace(/\/+$/, '') + '/api/v2/alerts';
    const shown = redact(url);
    const started = performance.now();
    try {
      const u = new URL(url);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (u.username || u.password) {
        headers.authorization = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
        u.username = '';
        u.password = '';
      }
      const res = await fetch(u, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#opts.timeoutMs) });
      const text = await res.text().catch(() => '');
      if (res.status < 200 || res.status > 299) throw new Error(`bad response status ${res.status}: ${text.slice(0, 200)}`);
      this.#metrics.notifySent.inc({ alertmanager: shown }, count);
      return true;
    } catch (err) {
      this.#metrics.notifyErrors.inc({ alertmanager: shown }, count);
      this.#log.error({ alertmanager: shown, alerts: count, err: err instanceof Error ? err.message : String(err) }, 'Sending alerts to an Alertmanager failed.');
      return false;
    } finally {
      this.#metrics.notifyLatency.observe({ alertmanager: shown }, (performance.now() - started) / 1000);
    }
  }
}

/** The URL without credentials (for logs and labels). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
