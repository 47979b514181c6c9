/** One behaviour suite for both receive paths (native receiver threads and the pure-TS dgram path). */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatsD } from 'hot-shots';
import type { Test } from 'tap';
import { DDSketch } from '../../../agent/store/sketch';
import { Harness, startHarness } from './harness';

type T = Test;

function within(t: T, got: number | undefined, want: number, rel: number, msg: string): void {
  t.ok(got !== undefined && Math.abs(got - want) <= Math.abs(want) * rel + 1e-12, `${msg}: got ${got}, want ${want} ±${rel * 100}%`);
}

function quantile(h: Harness, name: string, q: number, labels = {}): number | undefined {
  return h.series(name, labels)?.dist?.quantiles?.find(([x]) => x === q)?.[1];
}

async function withClient(h: Harness, opts: Record<string, unknown>, fn: (c: StatsD) => number): Promise<void> {
  const errors: Error[] = [];
  const c = new StatsD({ host: '127.0.0.1', port: h.port, protocol: 'udp', mock: false, maxBufferSize: 0, errorHandler: (e) => errors.push(e), ...opts });
  const n = fn(c);
  await new Promise<void>((r) => c.close(() => r()));
  if (errors.length) throw errors[0];
  await h.settle(n);
}

export function statsdSuite(t: T, engine: 'ts' | 'native'): void {
  t.test('StatsD client: counters, gauges, timers, sets', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await withClient(h, {}, (c) => {
      for (let i = 0; i < 10; i++) c.increment('app.requests');
      c.increment('app.requests', 5);
      c.gauge('app.queue', 42);
      c.gauge('app.queue', 17);
      for (let i = 1; i <= 100; i++) c.timing('app.latency', i);
      c.set('app.users', 'alice');
      c.set('app.users', 'bob');
      c.set('app.users', 'alice');
      return 10 + 1 + 2 + 100 + 3;
    });
    h.flush();
    t.equal(h.value('app_requests_total'), 15);
    t.equal(h.store.getFamily('app_requests_total')?.type, 'counter');
    t.equal(h.value('app_queue'), 17);
    t.equal(h.value('app_users'), 2);
    const lat = h.series('app_latency');
    t.equal(lat?.family.type, 'summary');
    t.equal(lat?.dist?.count, 100);
    within(t, lat?.dist?.sum, 5.05, 1e-9, 'timer sum in seconds');
    within(t, quantile(h, 'app_latency', 0.5), 0.05, 0.01, 'p50');
    within(t, quantile(h, 'app_latency', 0.9), 0.09, 0.01, 'p90');
    within(t, quantile(h, 'app_latency', 0.99), 0.099, 0.01, 'p99');
    const sk = DDSketch.fromJSON(JSON.parse(JSON.stringify(lat!.dist!.sketch)));
    t.equal(sk.count, 100, 'the interval sketch travels with the series, serializable');
    within(t, sk.quantile(0.5), 0.05, 0.01, 'p50 from the serialized sketch');
    const ref = new DDSketch();
    for (let i = 1; i <= 100; i++) ref.add(i * 0.001);
    t.same(sk.toJSON().p, ref.toJSON().p, 'same buckets as the TS sketch of the same values (the two paths merge)');

    // Counters are cumulative; sets count per interval; gauges keep their value.
    await withClient(h, {}, (c) => {
      c.increment('app.requests', 3);
      return 1;
    });
    h.flush();
    t.equal(h.value('app_requests_total'), 18);
    t.equal(h.value('app_users'), 0);
    t.equal(h.value('app_queue'), 17);
    t.equal(h.series('app_latency')?.dist?.count, 100, 'summary count stays cumulative');
    within(t, quantile(h, 'app_latency', 0.5), 0.05, 0.01, 'an idle interval inside statsd.summary_window keeps the quantiles');
  });

  t.test('summaries: quantiles over a sliding window, omitted (never NaN) once the window is empty', async (t) => {
    const h = await startHarness(engine, { 'statsd.summary_window': 2 });
    t.teardown(() => h.stop());
    await withClient(h, {}, (c) => {
      for (let i = 1; i <= 100; i++) c.timing('job.latency', 10);
      return 100;
    });
    h.flush();
    within(t, quantile(h, 'job_latency', 0.99), 0.01, 0.01, 'first interval');
    await withClient(h, {}, (c) => {
      for (let i = 1; i <= 100; i++) c.timing('job.latency', 1000);
      return 100;
    });
    h.flush();
    within(t, quantile(h, 'job_latency', 0.5), 0.01, 0.01, 'p50 over both intervals comes from the first');
    within(t, quantile(h, 'job_latency', 0.9), 1, 0.01, 'p90 over both intervals from the second');
    t.equal((h.series('job_latency')?.dist?.sketch as DDSketch | undefined)?.count, 100, 'the reporter gets the last interval only');
    h.flush();
    within(t, quantile(h, 'job_latency', 0.5), 1, 0.01, 'the first interval left the window');
    t.equal(h.series('job_latency')?.dist?.sketch, undefined, 'an idle interval ships no sketch');
    h.flush();
    const d = h.series('job_latency')?.dist;
    t.equal(d?.quantiles, undefined, 'no sample in the window: no quantile lines');
    t.equal(d?.count, 200, '_count stays');
    within(t, d?.sum, 0.01 * 100 + 100, 1e-9, '_sum stays');
  });

  t.test('DogStatsD client: tags, histograms, distributions', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await withClient(h, {}, (c) => {
      c.increment('web.hits', 1, { env: 'prod', 'http.status': '200' });
      c.increment('web.hits', 2, ['http.status:200', 'env:prod']);
      c.increment('web.hits', 4, ['env:dev', 'http.status:500']);
      for (let i = 1; i <= 1000; i++) c.histogram('web.size', i, ['env:prod']);
      for (let i = 1; i <= 1000; i++) c.distribution('web.dist', i * 2, ['env:prod']);
      c.gauge('web.temp', 21.5, ['room:a']);
      return 3 + 2000 + 1;
    });
    h.flush();
    t.equal(h.value('web_hits_total', { env: 'prod', http_status: '200' }), 3, 'tag order does not split a series');
    t.equal(h.value('web_hits_total', { env: 'dev', http_status: '500' }), 4);
    t.equal(h.series('web_size', { env: 'prod' })?.dist?.count, 1000);
    t.equal(h.series('web_size', { env: 'prod' })?.dist?.sum, 500500);
    within(t, quantile(h, 'web_size', 0.5, { env: 'prod' }), 500, 0.01, 'histogram p50');
    within(t, quantile(h, 'web_size', 0.99, { env: 'prod' }), 990, 0.01, 'histogram p99');
    within(t, quantile(h, 'web_dist', 0.9, { env: 'prod' }), 1800, 0.01, 'distribution p90');
    t.equal(h.value('web_temp', { room: 'a' }), 21.5);
  });

  t.test('raw datagrams: packing, sample rates, gauge deltas, extensions', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await h.send(
      'a.count:1|c|@0.1\na.count:2|c\n',
      'a.gauge:10|g\na.gauge:+5|g\na.gauge:-3|g',
      'a.packed:1:2:3:4|d|#k:v',
      'a.timer:100:200|ms|@0.5',
      'a.ext:1|c|#t:1|c:abc123|e:it-false,cn-x|card:high|x:unknown|T0\n',
      'a.ext:1|c|c:ci-deadbeef,in-42\r\n',
      'a.set:x|s\na.set:y|s\na.set:x|s\n\n',
      'delta.only:+4|g',
    );
    h.flush();
    within(t, h.value('a_count_total'), 12, 1e-12, 'sample rate scales counters');
    t.equal(h.value('a_gauge'), 12);
    t.equal(h.series('a_packed', { k: 'v' })?.dist?.count, 4);
    t.equal(h.series('a_packed', { k: 'v' })?.dist?.sum, 10);
    t.equal(h.series('a_timer')?.dist?.count, 4, 'sample rate weights timer samples');
    within(t, h.series('a_timer')?.dist?.sum, 0.6, 1e-9, 'weighted timer sum');
    t.equal(h.value('a_ext_total', { t: '1' }), 1, 'extension fields are skipped');
    t.equal(h.value('a_ext_total'), 1);
    t.equal(h.value('a_set'), 2);
    t.equal(h.value('delta_only'), 4);
    await h.send('delta.only:+4|g\ndelta.only:-1|g');
    h.flush();
    t.equal(h.value('delta_only'), 7, 'gauge deltas apply across flushes');
  });

  t.test('timestamped samples pass through with their timestamp', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await h.send('ts.gauge:5|g|T1700000000', 'ts.gauge:7|g|T1700000010');
    h.flush();
    const s = h.series('ts_gauge');
    t.equal(s?.value, 7);
    t.equal(s?.timestampMs, 1700000010 * 1000);
  });

  t.test('malformed lines are counted by reason and never cost the good lines', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await h.send(
      ['good.one:1|c', 'novalue|c', ':1|c', 'notype:1', 'badtype:1|zz', 'badval:abc|c', 'badrate:1|c|@2', 'badts:1|g|Tabc', 'good.two:2|c'].join('\n'),
      '_e{5,4}:title|text|#a:b',
      '_e{50,4}:short|text',
      '_sc|db.up|0|#a:b\n_sc|db.up|2\n_sc|x|9',
      'good.three:3|c',
    );
    h.flush();
    t.equal(h.value('good_one_total'), 1);
    t.equal(h.value('good_two_total'), 2);
    t.equal(h.value('good_three_total'), 3);
    for (const reason of ['no_value', 'empty_name', 'no_type', 'bad_type', 'bad_value', 'bad_sample_rate', 'bad_timestamp', 'bad_event', 'bad_service_check']) {
      t.equal(await h.counter('outrider_statsd_invalid_lines_total', { reason }), 1, reason);
    }
    t.equal(await h.counter('outrider_statsd_events_total'), 1);
    t.equal(await h.counter('outrider_statsd_service_checks_total', { status: 'ok' }), 1);
    t.equal(await h.counter('outrider_statsd_service_checks_total', { status: 'critical' }), 1);
    t.equal(await h.counter('outrider_statsd_packets_total'), 5);
  });

  t.test('packets over statsd.max_packet_size are counted and dropped whole', async (t) => {
    const h = await startHarness(engine, { 'statsd.max_packet_size': 1024 });
    t.teardown(() => h.stop());
    const big = Array.from({ length: 100 }, (_, i) => `big.line:${i}|c`).join('\n');
    t.ok(big.length > 1024);
    await h.send(big, 'small:1|c');
    h.flush();
    t.equal(await h.counter('outrider_statsd_packets_too_large_total'), 1);
    t.equal(h.store.getFamily('big_line_total'), undefined, 'nothing of the large packet is used');
    t.equal(h.value('small_total'), 1);
  });

  t.test('mapping rules, histogram buckets and cardinality limits', async (t) => {
    const h = await startHarness(engine, {
      'statsd.mappings': [
        { match: 'api.*.requests.*', name: 'api_requests', labels: { service: '$1', code: '${2}' } },
        { match: '^db\\.(\\w+)\\.query$', match_type: 'regex', name: 'db_query_seconds', labels: { db: '$1' }, observer_type: 'histogram', buckets: [0.01, 0.1, 1] },
        { match: 'debug.*', action: 'drop' },
      ],
      'statsd.max_series_per_metric': 3,
      'statsd.max_series': 100,
    });
    t.teardown(() => h.stop());
    await h.send(
      'api.users.requests.200:1|c\napi.users.requests.200:1|c\napi.orders.requests.500:1|c',
      'db.main.query:5|ms\ndb.main.query:50|ms\ndb.main.query:500|ms\ndb.main.query:5000|ms',
      'debug.x:1|c',
    );
    await h.send(['lim:1|c|#i:1', 'lim:1|c|#i:2', 'lim:1|c|#i:3', 'lim:1|c|#i:4', 'lim:1|c|#i:5'].join('\n'));
    h.flush();
    t.equal(h.value('api_requests_total', { service: 'users', code: '200' }), 2);
    t.equal(h.value('api_requests_total', { service: 'orders', code: '500' }), 1);
    const db = h.series('db_query_seconds', { db: 'main' });
    t.equal(db?.family.type, 'histogram');
    t.same(db?.dist?.buckets, [
      [0.01, 1],
      [0.1, 2],
      [1, 3],
    ]);
    t.equal(db?.dist?.count, 4);
    t.equal(h.store.getFamily('debug_x_total'), undefined, 'dropped by mapping');
    t.equal(h.store.getFamily('lim_total')?.series.size, 3);
    t.equal(await h.counter('outrider_statsd_series_overflow_total', { limit: 'per_metric' }), 2);
  });

  t.test('idle series expire after statsd.series_ttl', async (t) => {
    const h = await startHarness(engine, { 'statsd.series_ttl': 1000 });
    t.teardown(() => h.stop());
    await h.send('ttl.a:1|c');
    const t0 = Date.now();
    h.comp.flush(t0);
    t.equal(h.value('ttl_a_total'), 1);
    h.comp.flush(t0 + 500);
    t.equal(h.value('ttl_a_total'), 1);
    h.comp.flush(t0 + 1600);
    t.equal(h.store.getFamily('ttl_a_total'), undefined);
  });

  t.test('many distinct series in one interval', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    const packets: string[] = [];
    for (let p = 0; p < 100; p++) packets.push(Array.from({ length: 50 }, (_, i) => `wide.m:1|c|#id:${p * 50 + i}`).join('\n'));
    await h.send(...packets);
    h.flush();
    t.equal(h.store.getFamily('wide_m_total')?.series.size, 5000);
  });

  t.test('IPv6 loopback listener', async (t) => {
    const h = await startHarness(engine, { 'statsd.listen': ['udp://[::1]:0'] });
    t.teardown(() => h.stop());
    const l = h.comp.listeners[0]!;
    t.equal(l.family, 6);
    const c = dgram.createSocket('udp6');
    await new Promise<void>((r, j) => c.send('v6.hits:2|c', l.port, '::1', (e) => (e ? j(e) : r())));
    c.close();
    await h.settle(1);
    h.flush();
    t.equal(h.value('v6_hits_total'), 2);
  });

  t.test('a busy port fails with one clear error', async (t) => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(0, '127.0.0.1', () => r()));
    t.teardown(() => blocker.close());
    const port = blocker.address().port;
    await t.rejects(startHarness(engine, { 'statsd.listen': [`udp://127.0.0.1:${port}`] }), {
      code: 'OUTRIDER_ERR_STATSD_LISTEN',
      message: new RegExp(`udp://127.0.0.1:${port}.*already in use`),
    });
  });

  if (engine === 'native') {
    const py = spawnSync('python3', ['-c', 'import socket'], { encoding: 'utf8' });
    const noPython = py.status !== 0 ? 'python3 is needed to send on a Unix datagram socket in this test (apt-get install -y python3)' : false;
    if (noPython && process.env.CI === 'true') t.fail(noPython);
    const skip = noPython;
    t.test('Unix datagram socket: stale file removed, mode set, DogStatsD lines received', { skip }, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'outrider-dsd-'));
      const path = join(dir, 'dsd.socket');
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      // A stale socket file left by an earlier run.
      spawnSync('python3', ['-c', `import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(${JSON.stringify(path)})`]);
      t.ok(existsSync(path));
      const h = await startHarness(engine, { 'statsd.listen': [`unix://${path}`], 'statsd.socket_mode': '0620' });
      t.equal(statSync(path).mode & 0o777, 0o620);
      const script = `import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(${JSON.stringify(path)})
s.send(b"uds.hits:3|c|#env:prod\\nuds.lat:250|ms")
s.send(b"uds.hits:4|c|#env:prod")`;
      const sent = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
      t.equal(sent.status, 0, sent.stderr);
      await h.settle(2);
      h.flush();
      t.equal(h.value('uds_hits_total', { env: 'prod' }), 7);
      t.equal(h.series('uds_lat')?.dist?.sum, 0.25);
      await h.stop();
      t.notOk(existsSync(path), 'the socket file is removed at stop');
    });

    t.test('a unix:// path that is not a socket is refused', async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'outrider-dsd-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const path = join(dir, 'file');
      writeFileSync(path, 'x');
      await t.rejects(startHarness(engine, { 'statsd.listen': [`unix://${path}`] }), { code: 'OUTRIDER_ERR_STATSD_LISTEN', message: /not a socket/ });
    });
  }
}
