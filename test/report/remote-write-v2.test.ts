import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { uncompress } from 'snappyjs';
import { Health } from '../../agent/core/component';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { RemoteWriteOutput, RemoteWriteProtocol } from '../../agent/report/remote-write/output';
import { decodeWriteRequest } from '../../agent/report/remote-write/protobuf';
import { encodeRequestV2 } from '../../agent/report/remote-write/protobuf-v2';
import { Store } from '../../agent/store/store';
import { decodeRequestV2 } from './rw2-decode';

const V2_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

t.test('a 2.0 Request: symbol table first entry empty, strings once, labels by reference, metadata', async (t) => {
  const body = encodeRequestV2([
    {
      labels: [
        ['__name__', 'http_requests_total'],
        ['job', 'api'],
      ],
      samples: [[7, 1_700_000_000_123]],
      meta: { type: 'counter', help: 'Requests.' },
    },
    {
      labels: [
        ['__name__', 'temp'],
        ['job', 'api'],
      ],
      samples: [[-1.5, 5]],
      meta: { type: 'gauge', help: '' },
    },
    {
      labels: [
        ['__name__', 'ünï'],
        ['x', 'api'],
      ],
      samples: [[NaN, 300]],
    },
  ]);
  const r = decodeRequestV2(body);
  t.equal(r.symbols[0], '', 'symbols start with the empty string');
  t.same([...new Set(r.symbols)].length, r.symbols.length, 'no string twice');
  t.same(r.symbols.filter((s) => s === 'api' || s === 'job').length, 2, "'job' and 'api' appear once however many series use them");
  t.same(r.series[0], {
    labels: [
      ['__name__', 'http_requests_total'],
      ['job', 'api'],
    ],
    samples: [[7, 1_700_000_000_123]],
    type: 1,
    help: 'Requests.',
  });
  t.same(r.series[1], {
    labels: [
      ['__name__', 'temp'],
      ['job', 'api'],
    ],
    samples: [[-1.5, 5]],
    type: 2,
    help: '',
  });
  t.same(r.series[2]!.labels, [
    ['__name__', 'ünï'],
    ['x', 'api'],
  ]);
  t.ok(Number.isNaN(r.series[2]!.samples[0]![0]));
  t.same(r.refs[0]!.slice(2), r.refs[1]!.slice(2), 'the same label pair is the same references');
  // A 1.0 decoder sees nothing in a 2.0 body (fields 1-3 are reserved in 2.0): no misreading.
  t.same(decodeWriteRequest(body), []);
});

interface Received {
  version: string;
  contentType: string;
  series: Array<{ labels: Array<readonly [string, string]>; samples: Array<readonly [number, number]>; type?: number; help?: string }>;
  symbols?: string[];
}

/**
 * A fake receiver: `speaks` says what it accepts. A 2.0 receiver decodes 2.0 bodies and answers with the written
 * counts; `reject415` answers 415 to 2.0; `ignoreType` decodes everything as 1.0 (as a 1.x receiver that does not look
 * at the content type) and answers 204 without the written header.
 */
async function receiver(t: { teardown(fn: () => unknown): void }, mode: 'v2' | 'reject415' | 'ignoreType'): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.from(uncompress(Buffer.concat(chunks)));
      const contentType = String(req.headers['content-type']);
      const version = String(req.headers['x-prometheus-remote-write-version']);
      const isV2 = contentType === V2_TYPE;
      if (isV2 && mode === 'reject415') {
        res.writeHead(415).end('unsupported content type');
        return;
      }
      if (isV2 && mode === 'v2') {
        const r = decodeRequestV2(raw);
        got.push({ version, contentType, series: r.series, symbols: r.symbols });
        const samples = r.series.reduce((n, s) => n + s.samples.length, 0);
        res
          .writeHead(204, { 'X-Prometheus-Remote-Write-Samples-Written': String(samples), 'X-Prometheus-Remote-Write-Histograms-Written': '0', 'X-Prometheus-Remote-Write-Exemplars-Written': '0' })
          .end();
        return;
      }
      got.push({ version, contentType, series: decodeWriteRequest(raw) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`, got };
}

function output(url: string, protocol: RemoteWriteProtocol, store: Store): { out: RemoteWriteOutput; telemetry: Telemetry } {
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const out = new RemoteWriteOutput(store, { name: 'rw', urls: [url], intervalMs: 3_600_000, log: silentLogger(), telemetry, health: new Health(), protocol });
  return { out, telemetry };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

function sampleStore(): Store {
  const s = new Store();
  s.set({ name: 'jobs_total', help: 'Jobs done.', type: 'counter' }, { queue: 'a' }, 5);
  s.set({ name: 'jobs_total', help: 'Jobs done.', type: 'counter' }, { queue: 'b' }, 9);
  s.set({ name: 'temp_celsius', help: '', type: 'gauge' }, { queue: 'a' }, 21.5);
  return s;
}

const flat = (r: Received) => r.series.map((s) => `${s.labels.map(([k, v]) => `${k}=${v}`).join(',')} ${s.samples.map(([v]) => v).join(',')}`).sort();

t.test('protocol 2.0: the receiver decodes symbols, labels, samples and metadata', async (t) => {
  const rx = await receiver(t, 'v2');
  const { out } = output(rx.url, '2.0', sampleStore());
  await out.start();
  await out.tick();
  await until(() => rx.got.length === 1);
  await out.stop();
  const r = rx.got[0]!;
  t.equal(r.contentType, V2_TYPE);
  t.equal(r.version, '2.0.0');
  t.equal(r.symbols![0], '');
  t.same(flat(r), ['__name__=jobs_total,queue=a 5', '__name__=jobs_total,queue=b 9', '__name__=temp_celsius,queue=a 21.5']);
  const jobs = r.series.find((s) => s.labels[0]![1] === 'jobs_total')!;
  t.same([jobs.type, jobs.help], [1, 'Jobs done.'], 'counter metadata with its help');
  t.ok(jobs.samples[0]![1] > 1_600_000_000_000, 'timestamps in ms');
  t.same(out.protocols(), { [rx.url]: '2.0' });
});

t.test('protocol auto: a receiver answering 415 to 2.0 gets 1.0, the refused request included, and 1.0 afterwards', async (t) => {
  const rx = await receiver(t, 'reject415');
  const { out, telemetry } = output(rx.url, 'auto', sampleStore());
  await out.start();
  await out.tick();
  await until(() => rx.got.length === 1);
  t.equal(rx.got[0]!.contentType, 'application/x-protobuf');
  t.equal(rx.got[0]!.version, '0.1.0');
  t.same(flat(rx.got[0]!), ['__name__=jobs_total,queue=a 5', '__name__=jobs_total,queue=b 9', '__name__=temp_celsius,queue=a 21.5'], 'nothing lost through the fallback');
  await out.tick();
  await until(() => rx.got.length === 2);
  t.equal(rx.got[1]!.contentType, 'application/x-protobuf', 'the fallback is remembered for the URL');
  t.same(out.protocols(), { [rx.url]: '1.0' });
  await out.stop(); // stop writes once more
  t.ok(rx.got.every((r) => r.contentType === 'application/x-protobuf'));
  const text = await telemetry.registry.metrics();
  t.match(text, /outrider_remote_write_fallbacks_total\{output="rw",reason="unsupported_media_type"\} 1\n/);
  t.match(text, new RegExp(`outrider_remote_write_requests_total\\{output="rw",result="ok"\\} ${rx.got.length}\\n`));
  t.notMatch(text, /outrider_remote_write_dropped_requests_total\{[^}]*\} [1-9]/);
});

t.test('protocol auto: a 1.x receiver that ignores the content type (2xx, nothing written) gets the data again as 1.0', async (t) => {
  const rx = await receiver(t, 'ignoreType');
  const { out, telemetry } = output(rx.url, 'auto', sampleStore());
  await out.start();
  await out.tick();
  await until(() => rx.got.length === 2);
  t.same(rx.got[0]!.series, [], 'the 2.0 body reads as an empty 1.0 request');
  t.same(flat(rx.got[1]!), ['__name__=jobs_total,queue=a 5', '__name__=jobs_total,queue=b 9', '__name__=temp_celsius,queue=a 21.5']);
  await out.stop();
  t.match(await telemetry.registry.metrics(), /outrider_remote_write_fallbacks_total\{output="rw",reason="not_written"\} 1\n/);
});

t.test('protocol auto with a 2.0 receiver stays on 2.0; protocol 1.0 never sends 2.0', async (t) => {
  const rx = await receiver(t, 'v2');
  const auto = output(rx.url, 'auto', sampleStore()).out;
  await auto.start();
  await auto.tick();
  await auto.tick();
  await until(() => rx.got.length === 2);
  await auto.stop();
  const n = rx.got.length;
  t.ok(n >= 2 && rx.got.every((r) => r.contentType === V2_TYPE), 'every request 2.0');
  const v1 = output(rx.url, '1.0', sampleStore()).out;
  await v1.start();
  await v1.tick();
  await until(() => rx.got.length === n + 1);
  await v1.stop();
  t.ok(
    rx.got.slice(n).every((r) => r.contentType === 'application/x-protobuf' && r.series.length === 3),
    'every request 1.0',
  );
});

t.test('reserved headers cannot be overridden', async (t) => {
  t.throws(
    () =>
      new RemoteWriteOutput(new Store(), {
        name: 'x',
        urls: ['http://127.0.0.1:1/'],
        intervalMs: 1000,
        log: silentLogger(),
        telemetry: new Telemetry({ runtimeMetrics: false }),
        health: new Health(),
        headers: { 'Content-Type': 'text/plain' },
      }),
    /reserved/,
  );
});
