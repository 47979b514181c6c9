/**
 * The application's signals end to end, as real processes on loopback: an app's /metrics scraped by an agent that
 * has no config but the pod annotations (as the injector passes them), and the OpenTelemetry JS SDK exporting to the
 * agent's OTLP/HTTP port (a cumulative and a delta counter); the agent reports to a real `outrider aggregator`, which
 * forwards to a real VictoriaMetrics. The totals read back from VictoriaMetrics' query API equal what the app
 * counted, exactly, across a graceful agent restart and across a SIGKILL (after which the spool and the epoch rule
 * keep them exact).
 */
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { have, query, startVictoria } from './fleet-engine';
import { eventually, freePort, Proc, start } from './procs';

t.setTimeout(240_000);
const ci = process.env.CI === 'true';
if (!have('victoria-metrics') && ci) t.fail('victoria-metrics is required in CI (apt-get install -y victoria-metrics)');
const skip = have('victoria-metrics') ? false : 'needs victoria-metrics';

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-appsig-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const procs: Proc[] = [];
t.teardown(async () => {
  for (const p of procs) await p.kill9();
});

function otel(url: string, temporality: AggregationTemporality, name: string) {
  // No keep-alive: an idle pooled socket to an agent must not keep this test's process alive after the last test.
  const exporter = new OTLPMetricExporter({ url: url + '/v1/metrics', temporalityPreference: temporality, httpAgentOptions: { keepAlive: false } });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': name, 'service.instance.id': 'app-1' }), readers: [reader] });
  return { provider, reader, counter: provider.getMeter('app').createCounter('app.jobs') };
}

t.test('scraped and OTLP counters reach VictoriaMetrics through the aggregator exactly once, across agent restarts', { skip }, async (t) => {
  const vm = await startVictoria(t);
  const aggPort = await freePort();
  const agg = start([
    'aggregator',
    '--listen',
    `127.0.0.1:${aggPort}`,
    '--state-dir',
    tmp(),
    '--remote-write',
    `${vm}/api/v1/write`,
    '--aggregator.forward-interval',
    '200ms',
    '--aggregator.id',
    'agg-1',
    '--aggregator.commit-interval',
    '2ms',
  ]);
  procs.push(agg);
  await agg.waitFor(/aggregator is ready/);

  // The application: a counter on its /metrics.
  let served = 0;
  const app = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE app_requests_total counter\napp_requests_total{code="200"} ${served}\n`);
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => (app.closeAllConnections(), app.close(() => r()))));
  const appPort = (app.address() as AddressInfo).port;

  const spool = tmp();
  const otlpPort = await freePort();
  const startAgent = async (): Promise<Proc> => {
    // No scrape config: only the pod's prometheus.io annotations (the injector passes them as these keys' variables).
    const p = start([
      'agent',
      '--scrape.annotations.scrape',
      'true',
      '--scrape.annotations.port',
      String(appPort),
      '--listen',
      '127.0.0.1:0',
      '--report-to',
      `http://127.0.0.1:${aggPort}`,
      '--spool-dir',
      spool,
      '--agent-id',
      'app-agent',
      '--report.interval',
      '100ms',
      '--spool.sync-interval',
      '20ms',
      '--report.retry-initial-backoff',
      '20ms',
      '--report.retry-max-backoff',
      '300ms',
      '--scrape.interval',
      '200ms',
      '--otlp.http.listen',
      `127.0.0.1:${otlpPort}`,
      '--collectors.interval',
      '5s',
    ]);
    procs.push(p);
    await p.waitFor(/agent is ready/);
    return p;
  };
  let agent = await startAgent();

  const otlpUrl = `http://127.0.0.1:${otlpPort}`;
  const cumulative = otel(otlpUrl, AggregationTemporality.CUMULATIVE, 'cumul');
  const delta = otel(otlpUrl, AggregationTemporality.DELTA, 'delta');
  t.teardown(async () => {
    // Bounded: the SDK's final export retries while an agent is away, and must not hold the test past its end.
    const bounded = (p: Promise<unknown>) => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
    await bounded(cumulative.provider.shutdown());
    await bounded(delta.provider.shutdown());
  });
  let jobs = 0;
  const work = async (n: number) => {
    for (let i = 0; i < n; i++) {
      served += 3;
      cumulative.counter.add(2);
      delta.counter.add(5);
      jobs++;
    }
    await cumulative.reader.forceFlush();
    await delta.reader.forceFlush();
  };

  /** The fleet totals (the aggregator's sums) and the agent's own series, as VictoriaMetrics answers them now. */
  const totals = async () => {
    const one = async (q: string) => {
      const r = await query(vm, q);
      return r.length === 1 ? r[0]!.value : r.length === 0 ? undefined : NaN;
    };
    return {
      scraped: await one('app_requests_total{aggregator="agg-1",job="pod"}'),
      scrapedOwn: await one('app_requests_total{outrider_agent="app-agent",job="pod"}'),
      cumulative: await one('app_jobs_total{aggregator="agg-1",job="cumul"}'),
      delta: await one('app_jobs_total{aggregator="agg-1",job="delta"}'),
    };
  };
  const expect = () => ({ scraped: served, scrapedOwn: served, cumulative: jobs * 2, delta: jobs * 5 });
  const settled = async (what: string, want = expect()) => {
    const got = await eventually(async () => {
      const now = await totals();
      return JSON.stringify(now) === JSON.stringify(want) ? now : undefined;
    }, 40_000);
    t.same(got ?? (await totals()), want, what);
  };

  await work(4);
  await settled('before any restart');

  // A graceful restart: the agent flushes into its spool and the aggregator before it exits.
  t.equal(await agent.stop(), 0);
  served += 7; // the app keeps counting while the agent is away
  agent = await startAgent();
  await work(3);
  await settled('after a graceful restart: the scraped counter continues, the delta counter restarts with the agent and counts in full');

  // SIGKILL: what was acknowledged to the SDK but not flushed is the only thing at risk; the scraped and cumulative
  // counters carry their totals in every value, so they stay exact.
  await agent.kill9();
  served += 11;
  cumulative.counter.add(2);
  jobs++;
  agent = await startAgent();
  await cumulative.reader.forceFlush();
  const want = expect();
  const now = await eventually(async () => {
    const x = await totals();
    return x.scraped === want.scraped && x.scrapedOwn === want.scrapedOwn && x.cumulative === want.cumulative ? x : undefined;
  }, 40_000);
  t.same(
    now && { scraped: now.scraped, scrapedOwn: now.scrapedOwn, cumulative: now.cumulative },
    { scraped: want.scraped, scrapedOwn: want.scrapedOwn, cumulative: want.cumulative },
    'after SIGKILL: the scraped and the cumulative OTLP counters exact',
  );
  t.equal((await query(vm, 'app_requests_total{aggregator="agg-1"}')).length, 1, 'one fleet series, not one per agent epoch');
});
