// The OTLP/HTTP receiver's answers to bad input: malformed bodies, partial success, size limits, gzip bombs, media
// types, and a port already in use.
import t from 'tap';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { startOtlpAgent } from './helpers';

const post = async (url: string, body: Buffer | string, headers: Record<string, string>) => {
  const res = await fetch(url + '/v1/metrics', { method: 'POST', body, headers });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
};

const json = { 'Content-Type': 'application/json' };
const gauge = (name: string, value: number, attrs: Array<{ key: string; value: unknown }> = []) => ({
  name,
  gauge: { dataPoints: [{ asDouble: value, timeUnixNano: '1700000000000000000', attributes: attrs }] },
});
const request = (metrics: unknown[], resourceAttrs: unknown[] = [{ key: 'service.name', value: { stringValue: 'app' } }]) =>
  JSON.stringify({ resourceMetrics: [{ resource: { attributes: resourceAttrs }, scopeMetrics: [{ scope: { name: '' }, metrics }] }] });

const refused = async (agent: Awaited<ReturnType<typeof startOtlpAgent>>, reason: string): Promise<number> => {
  const text = await agent.agent.telemetry.registry.getSingleMetricAsString('outrider_otlp_refused_requests_total');
  const m = new RegExp(`transport="http",reason="${reason}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

t.test('malformed bodies get 400 with a message in the request encoding', async (t) => {
  const agent = await startOtlpAgent();
  t.teardown(() => agent.stop());
  const bad = await post(agent.otlpHttp, '{"resourceMetrics": [', json);
  t.equal(bad.status, 400);
  const status = JSON.parse(bad.body.toString()) as { code: number; message: string };
  t.equal(status.code, 3);
  t.match(status.message, /not JSON/);
  const wrongType = await post(agent.otlpHttp, JSON.stringify({ resourceMetrics: [{ scopeMetrics: 'x' }] }), json);
  t.equal(wrongType.status, 400);
  t.match(wrongType.body.toString(), /resourceMetrics\[0\]\.scopeMetrics must be an array/);
  // A length-delimited field that claims more bytes than the body holds.
  const truncated = await post(agent.otlpHttp, Buffer.from([0x0a, 0x7f, 0x01]), { 'Content-Type': 'application/x-protobuf' });
  t.equal(truncated.status, 400);
  t.equal(truncated.type, 'application/x-protobuf');
  t.match(truncated.body.toString('latin1'), /runs past its message/, 'google.rpc.Status message');
  t.equal(await refused(agent, 'malformed'), 3);
});

t.test('valid points of a partially bad request are kept and the rest reported as partial success', async (t) => {
  const agent = await startOtlpAgent();
  t.teardown(() => agent.stop());
  const body = request([
    gauge('queue.depth', 7, [{ key: 'queue', value: { stringValue: 'q1' } }]),
    { name: 'bad.hist', histogram: { aggregationTemporality: 2, dataPoints: [{ count: '3', bucketCounts: ['1', '1'], explicitBounds: [1, 2] }] } },
    { name: 'no.value', gauge: { dataPoints: [{ timeUnixNano: '1' }] } },
  ]);
  const res = await post(agent.otlpHttp, body, json);
  t.equal(res.status, 200);
  const answer = JSON.parse(res.body.toString()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
  t.equal(answer.partialSuccess.rejectedDataPoints, '2');
  t.match(answer.partialSuccess.errorMessage, /2 bucket counts for 2 bounds/);
  t.match(answer.partialSuccess.errorMessage, /without a value/);
  t.equal(await agent.sample('queue_depth{job="app",queue="q1"}'), 7);
  t.equal(await agent.sample('bad_hist_count{job="app"}'), undefined);
});

t.test('gzip bodies are read; one that inflates past the limit is refused and counted', async (t) => {
  const agent = await startOtlpAgent({ 'otlp.max_body': 64 * 1024 });
  t.teardown(() => agent.stop());
  const ok = await post(agent.otlpHttp, gzipSync(request([gauge('zipped', 2)])), { ...json, 'Content-Encoding': 'gzip' });
  t.equal(ok.status, 200);
  t.equal(await agent.sample('zipped{job="app"}'), 2);
  const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
  t.ok(bomb.length < 64 * 1024, 'the bomb itself is under the limit');
  const res = await post(agent.otlpHttp, bomb, { ...json, 'Content-Encoding': 'gzip' });
  t.equal(res.status, 413);
  t.match(res.body.toString(), /inflates past the 65536-byte limit/);
  t.equal(await refused(agent, 'decompression_bomb'), 1);
  const big = await post(agent.otlpHttp, Buffer.alloc(65 * 1024, 0x20), json);
  t.equal(big.status, 413);
  t.equal(await refused(agent, 'too_large'), 1);
  const notGzip = await post(agent.otlpHttp, 'plain', { ...json, 'Content-Encoding': 'gzip' });
  t.equal(notGzip.status, 400);
});

t.test('other media types and encodings get 415', async (t) => {
  const agent = await startOtlpAgent();
  t.teardown(() => agent.stop());
  t.equal((await post(agent.otlpHttp, 'x', { 'Content-Type': 'text/plain' })).status, 415);
  t.equal((await post(agent.otlpHttp, 'x', { ...json, 'Content-Encoding': 'br' })).status, 415);
  t.equal(await refused(agent, 'unsupported_media_type'), 1);
  t.equal(await refused(agent, 'unsupported_encoding'), 1);
  t.equal((await fetch(agent.otlpHttp + '/v1/metrics')).status, 405);
});

t.test('the delta conversion table is bounded; streams past it are rejected and counted', async (t) => {
  const agent = await startOtlpAgent({ 'otlp.delta.max_streams': 2 });
  t.teardown(() => agent.stop());
  const sum = (values: number[]) => ({
    name: 'jobs.done',
    sum: {
      aggregationTemporality: 1,
      isMonotonic: true,
      dataPoints: values.map((v, i) => ({ asInt: String(v), startTimeUnixNano: '1', timeUnixNano: '2', attributes: [{ key: 'k', value: { stringValue: `s${i}` } }] })),
    },
  });
  const res = await post(agent.otlpHttp, request([sum([1, 2, 3])]), json);
  const answer = JSON.parse(res.body.toString()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
  t.equal(answer.partialSuccess.rejectedDataPoints, '1');
  t.match(answer.partialSuccess.errorMessage, /delta conversion table is full \(2 streams\)/);
  t.equal(await agent.sample('jobs_done_total{job="app",k="s0"}'), 1);
  t.equal(await agent.sample('jobs_done_total{job="app",k="s1"}'), 2);
  t.equal(await agent.sample('jobs_done_total{job="app",k="s2"}'), undefined);
  t.match(await agent.agent.telemetry.registry.getSingleMetricAsString('outrider_otlp_delta_streams_refused_total'), / 1$/m);
  // The next interval of a known stream adds up; an overlapping one is refused.
  const next = {
    name: 'jobs.done',
    sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: '5', startTimeUnixNano: '2', timeUnixNano: '3', attributes: [{ key: 'k', value: { stringValue: 's0' } }] }] },
  };
  t.equal((await post(agent.otlpHttp, request([next]), json)).status, 200);
  t.equal(await agent.sample('jobs_done_total{job="app",k="s0"}'), 6);
  const again = JSON.parse((await post(agent.otlpHttp, request([next]), json)).body.toString()) as { partialSuccess: { errorMessage: string } };
  t.match(again.partialSuccess.errorMessage, /overlaps the previous interval/);
  t.equal(await agent.sample('jobs_done_total{job="app",k="s0"}'), 6);
});

t.test('promoted resource attributes, colliding attribute keys and a stream-ended marker', async (t) => {
  const agent = await startOtlpAgent({ 'otlp.promote_resource_attributes': ['k8s.pod.name'] });
  t.teardown(() => agent.stop());
  const res = [
    { key: 'service.name', value: { stringValue: 'api' } },
    { key: 'k8s.pod.name', value: { stringValue: 'api-7' } },
    { key: 'host.cpus', value: { intValue: '4' } },
  ];
  const attrs = [
    { key: 'a.b', value: { stringValue: 'x' } },
    { key: 'a_b', value: { stringValue: 'y' } },
    { key: 'ok', value: { boolValue: true } },
  ];
  await post(agent.otlpHttp, request([gauge('g', 1, attrs)], res), json);
  t.equal(await agent.sample('g{a_b="x;y",job="api",k8s_pod_name="api-7",ok="true"}'), 1);
  t.equal(await agent.sample('target_info{host_cpus="4",job="api",k8s_pod_name="api-7"}'), 1);
  const ended = { name: 'g', gauge: { dataPoints: [{ flags: 1, attributes: attrs }] } };
  t.equal((await post(agent.otlpHttp, request([ended], res), json)).status, 200);
  t.equal(await agent.sample('g{a_b="x;y",job="api",k8s_pod_name="api-7",ok="true"}'), undefined);
});

t.test('a port already in use is one error and a degraded receiver, not a failed agent', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const agent = await startOtlpAgent({ 'otlp.http.listen': `127.0.0.1:${port}` });
  t.teardown(() => agent.stop());
  const h = agent.agent.health.get('otlp-http');
  t.equal(h?.state, 'degraded');
  t.match(h?.detail, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
  t.equal((await fetch(agent.url + '/metrics')).status, 200, 'the agent serves on');
});

t.test('otlp.enabled=false starts no receiver', async (t) => {
  const agent = await startOtlpAgent({ 'otlp.enabled': false });
  t.teardown(() => agent.stop());
  t.equal(agent.agent.health.get('otlp-http'), undefined);
  t.equal(agent.agent.health.get('otlp-grpc'), undefined);
});
