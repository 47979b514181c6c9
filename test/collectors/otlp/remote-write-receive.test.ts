// POST /api/v1/write on the push listener: remote write 1.0 and 2.0 bodies (built with the agent's own encoders),
// staleness markers, the 2.0 written-headers, and malformed or mistyped requests.
import t from 'tap';
import { encodeWriteRequest } from '../../../agent/report/remote-write/protobuf';
import { encodeRequestV2 } from '../../../agent/report/remote-write/protobuf-v2';
import { snappyCompressTs } from '../../../agent/native/snappy';
import { startAgent } from '../../helpers/agent';

async function pushAgent(t: { teardown(fn: () => unknown): void }) {
  const a = await startAgent({ 'push.listen': '127.0.0.1:0' });
  t.teardown(() => a.stop());
  const push = /listening on (\S+)/.exec(a.agent.health.get('push')?.detail ?? '')![1]!;
  const sample = async (series: string): Promise<string | undefined> => {
    const text = await (await fetch(a.url + '/metrics')).text();
    return text
      .split('\n')
      .find((l) => l.startsWith(series + ' '))
      ?.slice(series.length + 1);
  };
  return { a, push, sample };
}

const write = (url: string, body: Buffer, contentType: string, encoding = 'snappy') =>
  fetch(url + '/api/v1/write', { method: 'POST', body, headers: { 'Content-Type': contentType, 'Content-Encoding': encoding, 'X-Prometheus-Remote-Write-Version': '2.0.0' } });

/** A 1.0 body with one sample whose value is Prometheus's staleness marker (patched in: V8 drops NaN payloads). */
function staleBody(labels: Array<[string, string]>, ts: number): Buffer {
  const body = encodeWriteRequest([{ labels, samples: [[12345.5, ts]] }]);
  const at = body.indexOf(Buffer.from(new Float64Array([12345.5]).buffer));
  Buffer.from([2, 0, 0, 0, 0, 0, 0xf0, 0x7f]).copy(body, at);
  return body;
}

t.test('remote write 1.0: the latest sample of each series, with its timestamp; a staleness marker removes it', async (t) => {
  const { push, sample } = await pushAgent(t);
  const body = encodeWriteRequest([
    {
      labels: [
        ['__name__', 'up'],
        ['instance', 'a:9100'],
        ['job', 'node'],
      ],
      samples: [
        [0, 1000],
        [1, 2000],
      ],
    },
    {
      labels: [
        ['__name__', 'http_requests_total'],
        ['code', '200'],
      ],
      samples: [[42.5, 3000]],
    },
  ]);
  const res = await write(push, snappyCompressTs(body), 'application/x-protobuf');
  t.equal(res.status, 204);
  t.equal(await sample('up{instance="a:9100",job="node"}'), '1 2000');
  t.equal(await sample('http_requests_total{code="200"}'), '42.5 3000');
  const stale = staleBody(
    [
      ['__name__', 'up'],
      ['instance', 'a:9100'],
      ['job', 'node'],
    ],
    4000,
  );
  t.equal((await write(push, snappyCompressTs(stale), 'application/x-protobuf')).status, 204);
  t.equal(await sample('up{instance="a:9100",job="node"}'), undefined);
});

t.test('remote write 2.0: symbols, metadata and the written headers', async (t) => {
  const { a, push, sample } = await pushAgent(t);
  const body = encodeRequestV2([
    {
      labels: [
        ['__name__', 'jobs_total'],
        ['queue', 'q1'],
      ],
      samples: [[7, 5000]],
      meta: { type: 'counter', help: 'Jobs done.' },
    },
    {
      labels: [
        ['__name__', 'temp'],
        ['room', 'lab'],
      ],
      samples: [[21.5, 5000]],
      meta: { type: 'gauge', help: 'Temperature.' },
    },
  ]);
  const res = await write(push, snappyCompressTs(body), 'application/x-protobuf;proto=io.prometheus.write.v2.Request');
  t.equal(res.status, 204);
  t.equal(res.headers.get('x-prometheus-remote-write-samples-written'), '2');
  t.equal(res.headers.get('x-prometheus-remote-write-histograms-written'), '0');
  t.equal(await sample('jobs_total{queue="q1"}'), '7 5000');
  t.equal(a.agent.store.getFamily('jobs_total')?.type, 'counter');
  t.equal(a.agent.store.getFamily('jobs_total')?.help, 'Jobs done.');
  t.equal(a.agent.store.getFamily('temp')?.type, 'gauge');
});

t.test('bad requests', async (t) => {
  const { push } = await pushAgent(t);
  const ok = snappyCompressTs(encodeWriteRequest([{ labels: [['__name__', 'x']], samples: [[1, 1]] }]));
  t.equal((await write(push, ok, 'application/x-protobuf', 'gzip')).status, 415, 'not snappy');
  t.equal((await write(push, ok, 'application/x-protobuf;proto=other.Message')).status, 415, 'unknown proto');
  t.equal((await write(push, ok, 'application/json')).status, 415);
  const notSnappy = await write(push, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), 'application/x-protobuf');
  t.equal(notSnappy.status, 400);
  const truncated = await write(push, snappyCompressTs(Buffer.from([0x0a, 0x50, 0x0a])), 'application/x-protobuf');
  t.equal(truncated.status, 400);
  t.match(await truncated.text(), /runs past its message/);
  const badRef = await write(push, snappyCompressTs(Buffer.from([0x22, 0x00, 0x2a, 0x04, 0x08, 0x09, 0x08, 0x00])), 'application/x-protobuf;proto=io.prometheus.write.v2.Request');
  t.equal(badRef.status, 400);
  t.match(await badRef.text(), /symbol reference 9 is out of range/);
});

t.test('while the memory limiter sheds, a write is answered 503 with Retry-After (senders retry), counted', async (t) => {
  const { a, push } = await pushAgent(t);
  const body = snappyCompressTs(encodeWriteRequest([{ labels: [['__name__', 'shed_me']], samples: [[1, Date.now()]] }]));
  a.agent.store.shedding = true;
  const res = await write(push, body, 'application/x-protobuf');
  t.equal(res.status, 503);
  t.equal(res.headers.get('retry-after'), '5');
  const counted = /outrider_remote_write_receive_refused_requests_total\{reason="memory_limit"\} 1/;
  let text = '';
  for (let i = 0; i < 50 && !counted.test(text); i++) {
    text = await (await fetch(a.url + '/metrics')).text();
    if (!counted.test(text)) await new Promise((r) => setTimeout(r, 100));
  }
  t.match(text, counted, 'the refusal is counted');
  t.notOk(a.agent.store.getFamily('shed_me'), 'nothing stored');
  a.agent.store.shedding = false;
  t.equal((await write(push, body, 'application/x-protobuf')).status, 204, 'taken again once the limiter recovers');
});
