import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { HttpServer } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import type { HistoryReader, LabelMatcher, SeriesSamples } from '../../agent/history/types';
import { STALE_NAN } from '../../agent/history/types';
import { LivePage, sourceClassifier } from '../../agent/live/index';
import type { LiveOptions } from '../../agent/live/options';
import { Store } from '../../agent/store/store';
import type { Labels } from '../../agent/store/types';

function raw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A history of fixed rounds: every series sampled at each step (the HistoryReader contract), matchers on __name__. */
class FakeHistory implements HistoryReader {
  readonly stepMs = 1000;
  readonly series: SeriesSamples[] = [];
  selects = 0;
  add(labels: Labels, points: Array<[number, number]>): void {
    this.series.push({ labels, timestampsMs: Float64Array.from(points.map((p) => p[0])), values: Float64Array.from(points.map((p) => p[1])) });
  }
  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[] {
    this.selects++;
    const ok = (l: Labels) =>
      matchers.every((m) => {
        const v = l[m.name] ?? '';
        return m.type === '=' ? v === m.value : m.type === '=~' ? new RegExp(`^(?:${m.value})$`).test(v) : true;
      });
    return this.series
      .filter((s) => ok(s.labels))
      .map((s) => {
        const keep = [...s.timestampsMs].map((tm, i) => [tm, i] as const).filter(([tm]) => tm >= startMs && tm <= endMs);
        return { labels: s.labels, timestampsMs: Float64Array.from(keep.map((k) => k[0])), values: Float64Array.from(keep.map((k) => s.values[k[1]]!)) };
      })
      .filter((s) => s.timestampsMs.length > 0);
  }
  labelNames(): string[] {
    return [];
  }
  labelValues(): string[] {
    return [];
  }
  oldestMs(): number | undefined {
    return this.series[0]?.timestampsMs[0];
  }
  newestMs(): number | undefined {
    return undefined;
  }
  subscribe(): () => void {
    return () => undefined;
  }
}

const options = (o: Partial<LiveOptions> = {}): LiveOptions => ({ enabled: true, maxClients: 2, historyMs: 600_000, clientBufferBytes: 256 * 1024, intervalMs: 50, heartbeatMs: 200, ...o });

async function serve(t: { teardown: (fn: () => Promise<void>) => void }, opts: Partial<LiveOptions> = {}, history?: HistoryReader, telemetry?: Telemetry, store = new Store()) {
  const server = new HttpServer({ name: 'http', listen: '127.0.0.1:0', log: silentLogger() });
  const live = new LivePage({
    store,
    options: options(opts),
    sourceOf: sourceClassifier(new Set(['cpu', 'meminfo'])),
    history: () => history,
    info: () => ({ version: 'test' }),
    ...(telemetry && { telemetry }),
  });
  live.mount(server);
  await server.start();
  t.teardown(async () => {
    live.close();
    await server.stop(100);
  });
  return { store, live, url: server.url() };
}

/** Reads SSE events from a stream until `want` frames arrived; returns them and the response (to close it). */
function frames(url: string, want: number): Promise<{ status: number; events: any[]; close: () => void }> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    const req = request(url, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve({ status: res.statusCode ?? 0, events, close: () => req.destroy() });
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: frame') && data) events.push(JSON.parse(data.slice(6)));
          if (events.length >= want) return resolve({ status: 200, events, close: () => req.destroy() });
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('the page and its files: CSP, gzip, ETag and 304, uPlot from the package', async (t) => {
  const { url } = await serve(t);
  const page = await raw(`${url}/`, { 'Accept-Encoding': 'gzip' });
  t.equal(page.status, 200);
  t.equal(page.headers['content-encoding'], 'gzip');
  t.match(page.headers['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'/);
  t.notMatch(page.headers['content-security-policy'], /unsafe-inline|unsafe-eval/);
  const html = gunzipSync(page.body).toString();
  t.match(html, /<script src="\/live\/live\.js"><\/script>/);
  t.notMatch(html, /<script>|<style>| style="| on[a-z]+="/, 'no inline script or style');
  const etag = String(page.headers.etag);
  t.match(etag, /^"[\w-]+"$/);
  const again = await raw(`${url}/`, { 'If-None-Match': etag });
  t.equal(again.status, 304);
  t.equal(again.body.length, 0);
  const uplot = await raw(`${url}/live/uPlot.iife.min.js`);
  t.equal(uplot.status, 200);
  t.match(uplot.body.toString(), /uPlot/);
  t.equal((await raw(`${url}/live/../package.json`)).status, 404, 'only the allow-list is served');
  t.equal((await raw(`${url}/live/uPlot.esm.js`)).status, 404);
});

t.test('history: the panels computed over the local history, rates between rounds, staleness markers skipped', async (t) => {
  const h = new FakeHistory();
  const now = Date.now();
  const ts = [now - 3000, now - 2000, now - 1000];
  // Two CPUs; user time grows 0.5 s per second on each: 50 % of all CPUs.
  for (const cpu of ['0', '1']) {
    h.add({ __name__: 'node_cpu_seconds_total', cpu, mode: 'user' }, [
      [ts[0]!, 10],
      [ts[1]!, 10.5],
      [ts[2]!, 11],
    ]);
    h.add({ __name__: 'node_cpu_seconds_total', cpu, mode: 'idle' }, [
      [ts[0]!, 10],
      [ts[1]!, 10.5],
      [ts[2]!, 11],
    ]);
  }
  h.add(
    { __name__: 'node_memory_MemTotal_bytes' },
    ts.map((x) => [x, 1000]),
  );
  h.add({ __name__: 'node_memory_MemAvailable_bytes' }, [
    [ts[0]!, 400],
    [ts[1]!, STALE_NAN],
    [ts[2]!, 300],
  ]);
  h.add(
    { __name__: 'outrider_anomaly_score', series: 'x' },
    ts.map((x) => [x, 0.9]),
  );
  const { url } = await serve(t, {}, h);
  const res = await raw(`${url}/api/v1/live/history?window=60`);
  t.equal(res.status, 200);
  const body = JSON.parse(res.body.toString());
  t.same(body.history.t, ts);
  t.same(body.history.panels.cpu.user, [null, 50, 50]);
  t.same(body.history.panels.memory.used, [600, null, 700]);
  t.same(body.history.panels.anomalies['score{series=x}'], [0.9, 0.9, 0.9]);
  t.ok(body.layout.some((p: any) => p.id === 'pod_memory' && p.group === 'pod'));
  t.equal(body.info.history, true);
});

t.test('history without a local history is empty, not an error', async (t) => {
  const { url } = await serve(t);
  const body = JSON.parse((await raw(`${url}/api/v1/live/history`)).body.toString());
  t.same(body.history.t, []);
  t.equal(body.info.history, false);
});

t.test('stream: frames only while a page is open, live values, a client limit, cleanup on disconnect', async (t) => {
  const { store, live, url } = await serve(t, { maxClients: 1 });
  await new Promise((r) => setTimeout(r, 150));
  t.equal(live.streams.frames, 0, 'no frame is built while no page is open');
  let n = 0;
  const tick = setInterval(() => {
    n++;
    store.set({ name: 'node_network_receive_bytes_total', help: 'x', type: 'counter' }, { device: 'eth0' }, n * 1000);
    store.set({ name: 'ALERTS', help: 'x', type: 'gauge' }, { alertname: 'DiskFull', alertstate: 'firing', severity: 'page' }, 1);
    store.set({ name: 'checkout_total', help: 'x', type: 'counter' }, { region: 'eu' }, n * 5);
  }, 20);
  t.teardown(() => clearInterval(tick));
  const a = await frames(`${url}/api/v1/live/stream`, 4);
  t.equal(a.status, 200);
  const last = a.events[a.events.length - 1];
  t.ok(last.panels.network.received > 0, 'a rate from the store');
  t.equal(last.panels.alerts.firing, 1);
  t.equal(last.panels.alerts.DiskFull, 1);
  const tables = a.events.filter((e) => e.tables).pop()?.tables;
  t.same(tables.alerts[0], { alertname: 'DiskFull', labels: { severity: 'page' } });
  t.ok(
    a.events.some((e) => e.panels.cardinality['statsd/otlp/push'] === 2 && e.panels.cardinality.host === 1),
    'series by source from the change feed',
  );
  t.ok(
    a.events.some((e) => Object.keys(e.panels.app_top).some((k) => k.startsWith('checkout_total'))),
    'the busiest application series',
  );
  const refused = await raw(`${url}/api/v1/live/stream`);
  t.equal(refused.status, 503, 'one page more than live.max_clients');
  t.match(refused.body.toString(), /live\.max_clients/);
  a.close();
  for (let i = 0; i < 50 && live.streams.clients > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(live.streams.clients, 0, 'the client is gone after a disconnect');
  const built = live.streams.frames;
  await new Promise((r) => setTimeout(r, 200));
  t.equal(live.streams.frames, built, 'frames stop with the last page');
  const b = await frames(`${url}/api/v1/live/stream`, 1);
  t.equal(b.status, 200, 'a new page is admitted after the old one left');
  b.close();
});

t.test('stream: what is written on a coarser cadence (the self telemetry) is brought up to date before each frame', async (t) => {
  // The agent writes its component telemetry (the delivery lag among it) into the store every 5 s and before a read
  // of the store (Telemetry.onRead): the live page is such a reader, so its lag chart moves each second.
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  let reads = 0;
  telemetry.onRead(() => {
    reads++;
    store.set({ name: 'outrider_report_lag_seconds', help: 'x', type: 'gauge' }, {}, reads);
  });
  const { url } = await serve(t, {}, undefined, telemetry, store);
  const got = await frames(`${url}/api/v1/live/stream`, 3);
  got.close();
  const lags = got.events.map((e) => e.panels.lag.aggregator);
  t.ok(
    lags.every((v, i) => typeof v === 'number' && (i === 0 || v > lags[i - 1])),
    `the lag grows frame by frame (${lags.join(', ')})`,
  );
});

t.test('stream: a heartbeat on a quiet store', async (t) => {
  const { url } = await serve(t, { heartbeatMs: 60 });
  const got = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const req = request(`${url}/api/v1/live/stream`, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        if (buf.includes(': ping')) {
          req.destroy();
          resolve(buf);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
  t.match(got, /retry: 2000\n\n/);
  t.match(got, /: ping\n\n/);
});

t.test('stream: a client that does not read is dropped past its buffer', async (t) => {
  const { store, live, url } = await serve(t, { clientBufferBytes: 16 * 1024, intervalMs: 5 });
  // Fifty firing alerts with long labels whose start time changes every tick: a large table in every frame; the
  // client never reads.
  const big = 'a'.repeat(1000);
  for (let i = 0; i < 50; i++) store.set({ name: 'ALERTS', help: 'x', type: 'gauge' }, { alertname: `A${i}`, alertstate: 'firing', big }, 1);
  let n = 0;
  const tick = setInterval(() => {
    n++;
    for (let i = 0; i < 50; i++) store.set({ name: 'ALERTS_FOR_STATE', help: 'x', type: 'gauge' }, { alertname: `A${i}`, big }, n);
  }, 2);
  t.teardown(() => clearInterval(tick));
  const req = request(`${url}/api/v1/live/stream`, (res) => res.pause());
  req.on('error', () => undefined);
  req.end();
  for (let i = 0; i < 500 && live.streams.clients === 0; i++) await new Promise((r) => setTimeout(r, 5));
  t.equal(live.streams.clients, 1);
  for (let i = 0; i < 1000 && live.streams.clients > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(live.streams.clients, 0, 'dropped once its queue passed the bound');
  req.destroy();
});
