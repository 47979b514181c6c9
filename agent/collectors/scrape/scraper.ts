/**
 * The scrape component: scrapes every target on its own interval, each first run offset by a hash of the target so
 * that targets spread over the interval, and writes each scrape into the store as that target's snapshot
 * (`replaceOwned`): a series gone from the target, or every series of a target that is down, leaves /metrics at
 * once. Per target it writes Prometheus's `up`, `scrape_duration_seconds`, `scrape_samples_scraped`,
 * `scrape_samples_post_metric_relabeling` and `scrape_series_added`, and keeps the state the targets API shows.
 *
 * The static targets are fixed for the life of the component; file_sd (file-sd.ts) changes the rest while it runs: a
 * target that is no longer discovered stops and its series (up included) leave the store.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { Agent as HttpAgent } from 'undici';
import type { Component, Health } from '../../core/component';
import { RateLimiter } from '../../core/log';
import type { Telemetry } from '../../core/telemetry';
import type { Store } from '../../store/store';
import type { FamilySamples } from '../../store/types';
import { ScrapeConverter } from './convert';
import { fetchTarget, ScrapeError } from './fetch';
import { FileSd, FileSdConfig } from './file-sd';
import { SeriesCache } from './series-cache';
import type { TargetSpec } from './targets';
import { TlsPool } from './tls';

export type TargetHealth = 'up' | 'down' | 'unknown';

export interface TargetState {
  readonly spec: TargetSpec;
  health: TargetHealth;
  lastError: string;
  lastScrape: Date | undefined;
  lastScrapeDurationS: number;
  /** Failed scrapes by reason (http, parse, timeout, a limit name). */
  readonly failures: Map<string, number>;
}

interface Slot {
  state: TargetState;
  owner: string;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  abort: AbortController | undefined;
  lastKeys: Set<string>;
  /** Distinct series the target has had, capped at its series limit + 1 (series_limit). */
  seen: Set<string>;
  /** The target's own pool when it has a tls_config. */
  tls: TlsPool | undefined;
  /** Set when the target is gone: a scrape still running writes nothing. */
  retired: boolean;
  /** The series of the last scrape, by their text on the target's lines (series-cache.ts). */
  cache: SeriesCache;
}

export interface ScraperOptions {
  store: Store;
  log: Logger;
  telemetry: Telemetry;
  health?: Health;
  targets: TargetSpec[];
  /** File-based discovery: its targets join the static ones while the component runs. */
  fileSd?: FileSdConfig[];
  /** Most targets scraped; past it no target is scraped and each shows the error (0: no limit). */
  targetLimit: number;
  now?: () => number;
}

/** A stable offset in [0, interval) for a target, so targets spread over the interval (as Prometheus does). */
export function scrapeOffsetMs(key: string, intervalMs: number): number {
  const h = createHash('sha256').update(key).digest();
  return Number(h.readBigUInt64BE(0) % BigInt(Math.max(1, Math.floor(intervalMs))));
}

const gauge = (name: string, help: string): Omit<FamilySamples, 'samples'> => ({ name, help, type: 'gauge' });
const upDesc = gauge('up', 'Whether the target was scraped successfully.');
const durationDesc = gauge('scrape_duration_seconds', 'Duration of the scrape.');
const scrapedDesc = gauge('scrape_samples_scraped', 'Samples the target exposed.');
const postDesc = gauge('scrape_samples_post_metric_relabeling', 'Samples left after metric relabeling.');
const addedDesc = gauge('scrape_series_added', 'Series new in this scrape.');

export class Scraper implements Component {
  readonly name = 'scrape';
  readonly #o: ScraperOptions;
  #slots: Slot[] = [];
  readonly #fileSd: FileSd | undefined;
  readonly #now: () => number;
  readonly #limiter = new RateLimiter(60_000, 1);
  readonly #scrapes: Counter;
  readonly #failures: Counter;
  readonly #scraped: Counter;
  readonly #stored: Counter;
  readonly #breaches: Counter;
  /** The scraper's own connection pool (one keep-alive connection per target), closed at stop. */
  readonly #http = new HttpAgent({ connections: 1, keepAliveTimeout: 60_000 });
  #started = false;
  #stopped = false;

  constructor(o: ScraperOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    const t = o.telemetry;
    this.#scrapes = t.counter('outrider_scrape_scrapes_total', 'Scrapes run, by result (success, failure).', ['result']);
    this.#failures = t.counter(
      'outrider_scrape_failures_total',
      'Failed scrapes, by reason (http, parse, timeout, body_size_limit, sample_limit, label_limit, label_name_length_limit, label_value_length_limit, series_limit, target_limit).',
      ['reason'],
    );
    this.#scraped = t.counter('outrider_scrape_samples_scraped_total', 'Samples read from scraped bodies.');
    this.#stored = t.counter('outrider_scrape_samples_stored_total', 'Scraped samples written into the store.');
    this.#breaches = t.counter('outrider_scrape_limit_breaches_total', 'Scrapes failed by a per-target limit, by limit.', ['limit']);
    for (const r of ['success', 'failure']) this.#scrapes.inc({ result: r }, 0);
    this.#fileSd = o.fileSd?.length ? new FileSd(o.fileSd, { log: o.log, telemetry: t, onChange: (found) => this.#reconcile([...o.targets, ...found]) }) : undefined;
    this.#reconcile(o.targets);
  }

  /** Every target and its last scrape, for the targets API. */
  targets(): readonly TargetState[] {
    return this.#slots.map((s) => s.state);
  }

  async start(): Promise<void> {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#fileSd?.start();
    this.#reconcile([...this.#o.targets, ...(this.#fileSd?.targets() ?? [])]);
    this.#o.health?.report('scrape', 'running', { ready: true, detail: `${this.#slots.length} targets` });
  }

  /**
   * Makes the running set the given targets (first of an owner wins): new ones are scheduled, gone ones stopped with
   * their series removed, a target whose labels changed is replaced. Past target_limit none is scraped.
   */
  #reconcile(specs: readonly TargetSpec[]): void {
    if (this.#stopped) return;
    const old = new Map(this.#slots.map((s) => [s.owner, s]));
    const next: Slot[] = [];
    const seen = new Set<string>();
    for (const spec of specs) {
      const owner = `scrape:${spec.job}:${spec.url.href}`;
      if (seen.has(owner)) continue;
      seen.add(owner);
      const prev = old.get(owner);
      if (prev && JSON.stringify(prev.state.spec.labels) === JSON.stringify(spec.labels)) {
        old.delete(owner);
        next.push(prev);
        continue;
      }
      const state: TargetState = { spec, health: 'unknown', lastError: '', lastScrape: undefined, lastScrapeDurationS: 0, failures: new Map() };
      next.push({
        state,
        owner,
        timer: undefined,
        running: undefined,
        abort: undefined,
        lastKeys: new Set(),
        seen: new Set(),
        tls: spec.tls ? new TlsPool(spec.tls) : undefined,
        retired: false,
        cache: new SeriesCache(),
      });
    }
    for (const s of old.values()) this.#retire(s, !seen.has(s.owner));
    this.#slots = next;
    if (!this.#started) return;
    const over = this.#o.targetLimit > 0 && next.length > this.#o.targetLimit;
    if (over) {
      for (const s of next) {
        this.#unschedule(s);
        this.#fail(s, new ScrapeError('target_limit', `target_limit exceeded (${next.length} targets, limit ${this.#o.targetLimit})`), 0);
      }
      this.#o.log.error({ targets: next.length, limit: this.#o.targetLimit }, 'More scrape targets than scrape.target_limit; none is scraped.');
      return;
    }
    for (const s of next) if (!s.timer) this.#schedule(s);
  }

  #schedule(s: Slot): void {
    const { intervalMs } = s.state.spec;
    s.timer = setTimeout(
      () => {
        s.timer = setInterval(() => this.#tick(s), intervalMs);
        s.timer.unref();
        this.#tick(s);
      },
      scrapeOffsetMs(s.owner, intervalMs),
    );
    s.timer.unref();
  }

  #unschedule(s: Slot): void {
    clearTimeout(s.timer);
    clearInterval(s.timer);
    s.timer = undefined;
  }

  /** Stops a target; its series leave the store unless another slot now owns them. */
  #retire(s: Slot, drop: boolean): void {
    s.retired = true;
    this.#unschedule(s);
    s.abort?.abort();
    void (s.running ?? Promise.resolve()).finally(() => void s.tls?.close());
    if (drop) this.#o.store.dropOwner(s.owner);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#fileSd?.stop();
    for (const s of this.#slots) {
      this.#unschedule(s);
      s.abort?.abort();
    }
    await Promise.allSettled(this.#slots.map((s) => s.running));
    await Promise.allSettled(this.#slots.map((s) => s.tls?.close()));
    await this.#http.close().catch(() => undefined);
    this.#o.health?.report('scrape', 'stopped', { ready: false });
  }

  /** Scrapes every target once now (tests, and the first round). */
  async scrapeAll(): Promise<void> {
    await Promise.all(this.#slots.map((s) => this.#run(s)));
  }

  #tick(s: Slot): void {
    if (this.#stopped || s.running) return;
    void this.#run(s);
  }

  #run(s: Slot): Promise<void> {
    if (s.running) return s.running;
    s.running = this.#scrape(s).finally(() => {
      s.running = undefined;
      s.abort = undefined;
    });
    return s.running;
  }

  async #scrape(s: Slot): Promise<void> {
    const spec = s.state.spec;
    const abort = new AbortController();
    s.abort = abort;
    const timer = setTimeout(() => abort.abort(new ScrapeError('timeout', `scrape timed out after ${spec.timeoutMs / 1000}s`)), spec.timeoutMs);
    const start = this.#now();
    const conv = new ScrapeConverter(spec, s.cache);
    try {
      await fetchTarget(spec, abort.signal, conv.add, s.tls ? s.tls.dispatcher() : this.#http, conv);
      if (s.retired) return;
      const { families, held, keys } = conv.families();
      // Added: held series the cache did not see in the last scrape, and the other series not among its keys.
      let added = conv.added;
      for (const k of keys) if (!s.lastKeys.has(k)) added++;
      const limit = spec.limits.seriesLimit;
      if (limit > 0) {
        const fresh = new Set<string>();
        for (const h of held) if (!s.seen.has(h.key)) fresh.add(h.key);
        for (const k of keys) if (!s.seen.has(k)) fresh.add(k);
        if (s.seen.size + fresh.size > limit) throw new ScrapeError('series_limit', `series_limit exceeded (${limit})`);
        for (const k of fresh) s.seen.add(k);
      }
      const durationS = (this.#now() - start) / 1000;
      families.push(...this.#own(spec, 1, durationS, conv.scraped, conv.kept, added));
      this.#o.store.replaceOwnedHeld(s.owner, families, held);
      s.cache.succeeded();
      s.lastKeys = new Set(keys);
      Object.assign(s.state, { health: 'up', lastError: '', lastScrape: new Date(start), lastScrapeDurationS: durationS });
      this.#scrapes.inc({ result: 'success' });
      this.#scraped.inc(conv.scraped);
      this.#stored.inc(keys.length + held.length);
    } catch (err) {
      const reason = abort.signal.aborted && abort.signal.reason instanceof ScrapeError ? abort.signal.reason : err;
      this.#fail(s, reason, (this.#now() - start) / 1000, conv.scraped);
      this.#scraped.inc(conv.scraped);
    } finally {
      clearTimeout(timer);
    }
  }

  #fail(s: Slot, err: unknown, durationS: number, scraped = 0): void {
    if (s.retired) return;
    const e = err instanceof ScrapeError ? err : new ScrapeError('http', err instanceof Error ? err.message || err.name : String(err));
    const spec = s.state.spec;
    s.state.failures.set(e.reason, (s.state.failures.get(e.reason) ?? 0) + 1);
    Object.assign(s.state, { health: 'down', lastError: e.message, lastScrape: new Date(this.#now()), lastScrapeDurationS: durationS });
    this.#scrapes.inc({ result: 'failure' });
    this.#failures.inc({ reason: e.reason });
    if (/limit$/.test(e.reason)) this.#breaches.inc({ limit: e.reason });
    // A down target's series leave the store at once; only its up and scrape_* series remain.
    this.#o.store.replaceOwned(s.owner, this.#own(spec, 0, durationS, scraped, 0, 0));
    s.lastKeys = new Set();
    s.cache.failed();
    if (this.#limiter.allow(s.owner + e.reason)) this.#o.log.warn({ target: spec.url.href, job: spec.job, reason: e.reason, err: e.message }, 'Scrape failed.');
  }

  #own(spec: TargetSpec, up: number, durationS: number, scraped: number, kept: number, added: number): FamilySamples[] {
    const labels = spec.labels;
    const one = (d: Omit<FamilySamples, 'samples'>, value: number): FamilySamples => ({ ...d, samples: [{ labels, value }] });
    return [one(upDesc, up), one(durationDesc, durationS), one(scrapedDesc, scraped), one(postDesc, kept), one(addedDesc, added)];
  }
}
