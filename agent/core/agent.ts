/**
 * The running agent: one store, the collectors that write into it, the local endpoint that reads it, and the
 * extensions (StatsD, reporting) built from the same config. start → ready; stop flushes and is safe at any time;
 * reload swaps in a new config, keeping the store (and the listener when its address did not change).
 */
import type { Logger } from 'pino';
import { resolvePaths } from '../collectors/collector';
import { hostCollectors } from '../collectors/host/index';
import { CollectorRunner } from '../collectors/runner';
import type { Config } from '../config/config';
import { mountEndpoint } from '../exposition/endpoint';
import { HttpServer } from '../exposition/http-server';
import { extensions } from '../extensions';
import { Store } from '../store/store';
import type { Component } from './component';
import { Health } from './component';
import type { AgentContext } from './context';
import { RateLimiter } from './log';
import { Telemetry } from './telemetry';
import { version } from './version';

export interface AgentOptions {
  config: Config;
  log: Logger;
  /** Native addon status, shown in /healthz and outrider_native_available. */
  native?: { available: boolean; reason: string };
}

export class Agent {
  readonly store: Store;
  readonly health = new Health();
  readonly telemetry: Telemetry;
  readonly log: Logger;
  #config: Config;
  #server: HttpServer | undefined;
  #runner: CollectorRunner | undefined;
  #components: Component[] = [];
  #sweeper: NodeJS.Timeout | undefined;
  #native: { available: boolean; reason: string };
  #started = false;
  #stopped = false;

  constructor(opts: AgentOptions) {
    this.#config = opts.config;
    this.log = opts.log;
    this.#native = opts.native ?? { available: false, reason: 'not loaded' };
    this.store = new Store({ staleAfterMs: opts.config.number('store.stale_after'), maxSeries: opts.config.number('store.max_series') });
    this.telemetry = new Telemetry({ runtimeMetrics: opts.config.bool('telemetry.runtime_metrics') });
    this.telemetry.setBuildInfo(this.#native.available);
    const dropped = this.telemetry.counter('outrider_store_dropped_writes_total', 'Writes the store refused, by reason (max_series, invalid_name, invalid_label, type_conflict).', ['reason']);
    const limiter = new RateLimiter(60_000, 1);
    this.store.onDrop = (reason, fam, detail) => {
      dropped.inc({ reason });
      if (limiter.allow(reason + fam)) this.log.warn({ reason, metric: fam, detail }, 'The store refused a write.');
    };
    this.telemetry.gauge('outrider_store_series', 'Series currently held in the store.', [], () => undefined);
  }

  get config(): Config {
    return this.#config;
  }

  /** Base URL of the local endpoint once started. */
  url(): string | undefined {
    return this.#server?.url();
  }

  context(config = this.#config): AgentContext {
    return { config, store: this.store, log: this.log, health: this.health, telemetry: this.telemetry, paths: resolvePaths(config) };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const seriesGauge = this.telemetry.registry.getSingleMetric('outrider_store_series') as import('prom-client').Gauge;
    this.health.report('native', 'running', { ready: true, detail: this.#native.reason, info: { available: this.#native.available } });
    try {
      this.#server = this.#makeServer(this.#config);
      await this.#server.start();
      this.health.report('http', 'running', { ready: true, detail: `listening on ${this.#server.url()}` });
      await this.#startPipeline(this.#config);
      this.#sweeper = setInterval(() => {
        this.store.sweep();
        seriesGauge.set(this.store.seriesCount);
      }, 1000);
      this.#sweeper.unref();
      seriesGauge.set(this.store.seriesCount);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.log.info({ url: this.#server.url(), collectors: this.#runner?.collectors.length, version }, 'Outrider agent is ready.');
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await this.#stopPipeline();
    await this.#server?.stop();
    this.health.report('http', 'stopped', { ready: false });
  }

  /** Applies a new, already validated config. */
  async reload(config: Config): Promise<void> {
    const old = this.#config;
    this.log.level = config.string('log_level');
    this.store.staleAfterMs = config.number('store.stale_after');
    this.store.maxSeries = config.number('store.max_series');
    if (config.string('listen') !== old.string('listen')) {
      const next = this.#makeServer(config);
      await next.start();
      const prev = this.#server;
      this.#server = next;
      await prev?.stop();
      this.health.report('http', 'running', { ready: true, detail: `listening on ${next.url()}` });
    }
    await this.#stopPipeline();
    this.#config = config;
    await this.#startPipeline(config);
    this.log.info({ file: config.file }, 'Configuration reloaded.');
  }

  #makeServer(config: Config): HttpServer {
    const requests = this.telemetry.counter('outrider_http_requests_total', 'Requests served by the local endpoint, by path and status code.', ['path', 'code']);
    const server = new HttpServer({
      name: 'http',
      listen: config.string('listen'),
      log: this.log,
      requestTimeoutMs: config.number('http.request_timeout'),
      maxConnections: config.number('http.max_connections'),
      onRequest: (path, _m, status) => requests.inc({ path, code: String(status) }),
    });
    mountEndpoint(server, {
      store: this.store,
      health: this.health,
      status: () => ({ version, uptime_seconds: Math.round(process.uptime()), native: this.#native }),
    });
    return server;
  }

  async #startPipeline(config: Config): Promise<void> {
    const ctx = this.context(config);
    const enabled = new Set(config.list('collectors.enabled'));
    for (const d of config.list('collectors.disabled')) enabled.delete(d);
    const collectors = hostCollectors().filter((c) => enabled.has(c.name));
    collectors.push(this.telemetry.collector());
    for (const c of hostCollectors()) if (!enabled.has(c.name)) this.store.dropOwner(c.name);
    this.#runner = new CollectorRunner({ store: this.store, config, paths: ctx.paths, log: this.log, health: this.health, telemetry: this.telemetry, collectors });
    const components: Component[] = [];
    for (const ext of extensions) components.push(...(await ext(ctx)));
    this.#components = components;
    for (const c of components) await c.start();
    await this.#runner.start();
  }

  async #stopPipeline(): Promise<void> {
    for (const c of [...this.#components].reverse()) {
      try {
        await c.stop();
      } catch (err) {
        this.log.error({ component: c.name, err: err instanceof Error ? err.message : String(err) }, 'Component failed to stop cleanly.');
      }
    }
    this.#components = [];
    await this.#runner?.stop();
    this.#runner = undefined;
  }
}
