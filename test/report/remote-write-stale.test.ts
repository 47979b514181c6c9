import { createServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { uncompress } from 'snappyjs';
import { decodeRequestV2, decodeWriteRequestV1, DecodedSeries } from '../../agent/collectors/remote-write-receive/decode';
import { silentLogger } from '../../agent/core/log';
import { Health } from '../../agent/core/component';
import { Telemetry } from '../../agent/core/telemetry';
import { encodeWriteRequest } from '../../agent/report/remote-write/protobuf';
import { encodeRequestV2 } from '../../agent/report/remote-write/protobuf-v2';
import { RemoteWriteOutput } from '../../agent/report/remote-write/output';
import { StaleMarkers } from '../../agent/report/remote-write/stale-markers';
import { Store } from '../../agent/store/store';
import type { FamilySamples } from '../../agent/store/types';

const gauge = (name: string, samples: FamilySamples['samples']): FamilySamples => ({ name, help: '', type: 'gauge', samples });
const names = (xs: Array<{ labels: Array<readonly [string, string]> }>) => xs.map((x) => x.labels.map(([k, v]) => `${k}=${v}`).join(',')).sort();

t.test('the marker is written with the exact bits Prometheus compares, in 1.0 and 2.0', async (t) => {
  const one = { labels: [['__name__', 'x'] as const], samples: [[NaN, 5] as const], stale: true };
  const v1 = encodeWriteRequest([one]);
  t.ok(v1.includes(Buffer.from('09' + '020000000000f07f', 'hex')), 'the 1.0 sample value is 0x7ff0000000000002');
  t.same(decodeWriteRequestV1(v1)[0]!.samples[0]!.slice(1), [5, 1]);
  t.same(decodeRequestV2(encodeRequestV2([one]))[0]!.samples[0]!.slice(1), [5, 1]);
  // An ordinary NaN stays an ordinary NaN.
  t.same(decodeWriteRequestV1(encodeWriteRequest([{ ...one, stale: false }]))[0]!.samples[0]![2], 0);
});

t.test('StaleMarkers names what left the store since the last call, once', async (t) => {
  const store = new Store();
  const m = new StaleMarkers(store);
  store.replaceOwned('scrape:a', [
    gauge('g', [
      { labels: { k: '1' }, value: 1 },
      { labels: { k: '2' }, value: 2 },
    ]),
    { name: 'h', help: '', type: 'histogram', samples: [{ labels: { k: '1' }, value: 0, dist: { count: 2, sum: 3, buckets: [[1, 1]] } }] },
  ]);
  t.same(m.take(1000, {}), [], 'the first read knows nothing that went');
  store.replaceOwned('scrape:a', [gauge('g', [{ labels: { k: '1' }, value: 1 }])]);
  const out = m.take(2000, { instance: 'agent', k: 'shadowed' });
  t.same(names(out), [
    '__name__=g,instance=agent,k=2',
    '__name__=h_bucket,instance=agent,k=1,le=+Inf',
    '__name__=h_bucket,instance=agent,k=1,le=1',
    '__name__=h_count,instance=agent,k=1',
    '__name__=h_sum,instance=agent,k=1',
  ]);
  t.ok(out.every((s) => s.stale && s.samples.length === 1 && s.samples[0]![1] === 2000));
  t.same(m.take(3000, {}), [], 'each removal is marked once');
  // Removed and created again before the next read: the series is live, no marker.
  store.replaceOwned('scrape:a', []);
  store.replaceOwned('scrape:a', [gauge('g', [{ labels: { k: '1' }, value: 5 }])]);
  t.same(m.take(4000, {}), []);
  // A filter that refuses a series refuses its marker too.
  store.replaceOwned('scrape:a', []);
  t.same(
    m.take(5000, {}, (s) => s.labels.k !== '1'),
    [],
  );
});

t.test('more removals than the removal log holds: no markers, counted as missed', async (t) => {
  const store = new Store({ removalLogSize: 2 });
  const m = new StaleMarkers(store);
  store.replaceOwned('o', [
    gauge(
      'g',
      [1, 2, 3, 4].map((i) => ({ labels: { i: String(i) }, value: i })),
    ),
  ]);
  m.take(0, {});
  store.replaceOwned('o', []);
  t.same(m.take(1, {}), []);
  t.equal(m.missed, 1);
});

async function receiver() {
  const bodies: Array<{ type: string; body: Buffer }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = String(req.headers['content-type']);
      bodies.push({ type, body: Buffer.from(uncompress(Buffer.concat(chunks))) });
      if (type.includes('v2')) res.setHeader('X-Prometheus-Remote-Write-Samples-Written', '1');
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

for (const protocol of ['1.0', '2.0'] as const) {
  t.test(`the remote write output sends a marker for a series gone from the store (${protocol})`, async (t) => {
    const rx = await receiver();
    t.teardown(rx.close);
    const store = new Store();
    const out = new RemoteWriteOutput(store, {
      name: 'remote_write',
      urls: [rx.url],
      intervalMs: 3_600_000,
      log: silentLogger(),
      telemetry: new Telemetry(),
      health: new Health(),
      protocol,
      staleMarkers: true,
      extraLabels: { instance: 'agent-1' },
    });
    await out.start();
    t.teardown(() => out.stop());
    store.replaceOwned('scrape:a', [
      gauge('app_temperature', [
        { labels: { room: 'a', instance: 'app:80' }, value: 21.5 },
        { labels: { room: 'b', instance: 'app:80' }, value: 19 },
      ]),
    ]);
    await out.tick();
    store.replaceOwned('scrape:a', [gauge('app_temperature', [{ labels: { room: 'b', instance: 'app:80' }, value: 19 }])]);
    await out.tick();
    await out.whenDurable(store.generation, 5000);
    for (let i = 0; i < 100 && rx.bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const decode = (b: { type: string; body: Buffer }): DecodedSeries[] => (b.type.includes('v2') ? decodeRequestV2(b.body) : decodeWriteRequestV1(b.body));
    t.equal(rx.bodies.length, 2);
    const first = decode(rx.bodies[0]!);
    t.ok(
      first.every((s) => s.samples[0]![2] === 0),
      'no marker while both series live',
    );
    const second = decode(rx.bodies[1]!);
    const stale = second.filter((s) => s.samples[0]![2] === 1);
    t.same(names(stale), ['__name__=app_temperature,instance=app:80,room=a']);
    t.ok(Number.isNaN(stale[0]!.samples[0]![0]));
    t.same(
      second.filter((s) => s.samples[0]![2] === 0).map((s) => s.samples[0]![0]),
      [19],
    );
  });
}

t.test('without staleMarkers (the aggregator forward) nothing is sent for a removal', async (t) => {
  const rx = await receiver();
  t.teardown(rx.close);
  const store = new Store();
  const out = new RemoteWriteOutput(store, { name: 'fwd', urls: [rx.url], intervalMs: 3_600_000, log: silentLogger(), telemetry: new Telemetry(), health: new Health() });
  await out.start();
  t.teardown(() => out.stop());
  store.replaceOwned('o', [gauge('g', [{ labels: {}, value: 1 }])]);
  await out.tick();
  store.replaceOwned('o', []);
  await out.tick();
  await out.whenDurable(store.generation, 5000);
  t.equal(rx.bodies.length, 1, 'an empty store sends nothing, and no marker');
});
