/**
 * The live page and the fleet page in a real browser: Debian's chromium driven by puppeteer-core. The page loads
 * with no console error (a CSP violation is one), every chart draws points, a live frame arrives within 2 s, and an
 * alert and an anomaly written into the store show up. A screenshot is written where the log says
 * (OUTRIDER_SCREENSHOT_DIR, else the temp directory). Skipped, saying so, when chromium is not installed.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Browser, Page } from 'puppeteer-core';
import { startAggregator } from '../aggregator/helpers';
import { startAgent, type RunningAgent } from '../helpers/agent';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);
const chromium = candidates.find((p) => existsSync(p));

// The page's own globals, as the callbacks below see them inside the browser (this project compiles without DOM types).
declare const document: any;

/** Series a pod and the rules/analysis would write, where this host has none: the page must draw what the store holds. */
function feed(a: RunningAgent): () => void {
  const store = a.agent.store;
  let n = 0;
  const g = (name: string) => ({ name, help: 'test', type: 'gauge' as const });
  const c = (name: string) => ({ name, help: 'test', type: 'counter' as const });
  const absent = (name: string) => store.getFamily(name) === undefined || store.getFamily(name)!.series.size === 0;
  // Decided once, before the first write: only what the host's own collectors did not write.
  const missing = new Set(
    [
      'container_cpu_usage_seconds_total',
      'container_spec_cpu_quota',
      'container_memory_working_set_bytes',
      'container_spec_memory_limit_bytes',
      'node_pressure_cpu_waiting_seconds_total',
      'node_pressure_memory_waiting_seconds_total',
      'node_pressure_io_waiting_seconds_total',
    ].filter(absent),
  );
  const put = (name: string, type: 'gauge' | 'counter', value: number) => {
    if (missing.has(name)) store.set(type === 'gauge' ? g(name) : c(name), { id: '/pod' }, value);
  };
  const write = () => {
    n++;
    put('container_cpu_usage_seconds_total', 'counter', n * 0.05);
    put('container_spec_cpu_quota', 'gauge', 50_000);
    if (missing.has('container_spec_cpu_quota')) store.set(g('container_spec_cpu_period'), { id: '/pod' }, 100_000);
    put('container_memory_working_set_bytes', 'gauge', 200e6 + (n % 10) * 1e6);
    put('container_spec_memory_limit_bytes', 'gauge', 512e6);
    for (const res of ['cpu', 'memory', 'io']) put(`node_pressure_${res}_waiting_seconds_total`, 'counter', n * 0.001);
    store.set(c('checkout_requests_total'), { region: 'eu' }, n * 7);
    store.set(g('outrider_forecast_filesystem_full_seconds'), { mountpoint: '/data' }, 86_400 - n);
  };
  write();
  const timer = setInterval(write, 250);
  return () => clearInterval(timer);
}

async function watch(page: Page, errors: string[]): Promise<void> {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') errors.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${(e as Error).message}`));
  page.on('requestfailed', (r) => {
    // The event stream is cut when the page is closed; anything else failing is an error.
    if (!r.url().endsWith('/api/v1/live/stream')) errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
}

t.test('the live page in chromium', { skip: chromium ? false : 'chromium is not installed (apt-get install -y chromium); the browser test is skipped' }, async (t) => {
  const puppeteer = await import('puppeteer-core');
  const a = await startAgent({ 'collectors.interval': 1000, 'analysis.enabled': false }); // the injected anomaly series is then the only one charted
  t.teardown(() => a.stop());
  const stopFeed = feed(a);
  t.teardown(stopFeed);
  const browser: Browser = await puppeteer.launch({ executablePath: chromium!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors: string[] = [];
  await watch(page, errors);
  await page.goto(`${a.url}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => Number(document.documentElement.getAttribute('data-frames') ?? 0) >= 3, { timeout: 20_000 });

  const before = await page.evaluate(() => Number(document.documentElement.getAttribute('data-frames')));
  const t0 = Date.now();
  await page.waitForFunction((n: number) => Number(document.documentElement.getAttribute('data-frames')) > n, { timeout: 2000 }, before);
  t.ok(Date.now() - t0 <= 2000, `a live update arrived within 2 s (${Date.now() - t0} ms)`);

  // An anomaly and a firing alert, written into the store as the analysis and the rules write them.
  const store = a.agent.store;
  const inject = setInterval(() => {
    store.set({ name: 'ALERTS', help: 'test', type: 'gauge' }, { alertname: 'LiveTestDiskFull', alertstate: 'firing', severity: 'page' }, 1);
    store.set({ name: 'ALERTS_FOR_STATE', help: 'test', type: 'gauge' }, { alertname: 'LiveTestDiskFull', severity: 'page' }, Date.now() / 1000 - 60);
    store.set({ name: 'outrider_anomaly_score', help: 'test', type: 'gauge' }, { series: 'node_load1' }, 0.97);
  }, 200);
  t.teardown(() => clearInterval(inject));
  await page.waitForFunction(() => document.getElementById('alerts')?.textContent?.includes('LiveTestDiskFull'), { timeout: 5000 });
  t.pass('the firing alert is listed');
  t.equal(await page.$eval('#alert-banner', (e: any) => e.hidden), false, 'the alert banner shows');
  await page.waitForFunction(() => Number(document.querySelector('[data-panel="anomalies"]')?.getAttribute('data-points')) > 0, { timeout: 5000 });
  t.match(await page.$eval('#panel-anomalies', (e) => e.textContent ?? ''), /score\{series=node_load1\}/, 'the anomaly is charted');

  await page.waitForFunction(() => [...document.querySelectorAll('.plot')].every((p) => Number(p.getAttribute('data-points')) > 0), { timeout: 10_000 }).catch(() => undefined);
  const points = await page.$$eval('.plot', (els) => els.map((e) => [e.getAttribute('data-panel'), Number(e.getAttribute('data-points')), e.querySelectorAll('canvas').length] as const));
  t.ok(points.length >= 16, `${points.length} charts`);
  for (const [id, n, canvases] of points) {
    t.ok(n > 0, `chart ${id} has ${n} data points`);
    t.equal(canvases, 1, `chart ${id} is drawn`);
  }

  const dir = process.env.OUTRIDER_SCREENSHOT_DIR ?? tmpdir();
  mkdirSync(dir, { recursive: true });
  const shot = join(dir, `outrider-live-${Date.now()}.png`);
  await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
  t.comment(`screenshot: ${shot}`);
  console.error(`live page screenshot written to ${shot}`);
  t.same(errors, [], 'no console errors, failed requests or error responses');
});

t.test('the fleet page in chromium', { skip: chromium ? false : 'chromium is not installed (apt-get install -y chromium); the browser test is skipped' }, async (t) => {
  const puppeteer = await import('puppeteer-core');
  const stateDir = mkdtempSync(join(tmpdir(), 'outrider-fleet-'));
  const agg = await startAggregator(stateDir);
  t.teardown(() => agg.stop());
  const a = await startAgent({ 'collectors.interval': 60_000, 'report.endpoints': [agg.url()], 'report.interval': 200, 'report.agent_id': 'fleet-test-agent' });
  t.teardown(() => a.stop());
  const browser: Browser = await puppeteer.launch({ executablePath: chromium!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  await watch(page, errors);
  for (let i = 0; i < 100 && agg.agents().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  await page.goto(`${agg.url()}/`, { waitUntil: 'load' });
  await page.waitForSelector('#agents tbody tr[data-agent]', { timeout: 10_000 });
  const id = await page.$eval('#agents tbody tr[data-agent]', (e) => e.getAttribute('data-agent'));
  t.equal(id, agg.agents()[0]!.agent_id, 'the agent reporting to the aggregator is listed');
  await page.click('#agents tbody tr[data-agent]');
  await page.waitForSelector('#detail:not([hidden]) canvas', { timeout: 5000 });
  t.match(await page.$eval('#detail-fields', (e) => e.textContent ?? ''), /spool_backlog_batches/, 'the drill-down lists the agent');
  t.same(errors, [], 'no console errors, failed requests or error responses');
});
