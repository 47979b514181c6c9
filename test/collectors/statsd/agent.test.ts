import dgram from 'node:dgram';
import t from 'tap';
import { StatsD } from 'hot-shots';
import { get, startAgent } from '../../helpers/agent';

t.test('the agent serves StatsD metrics on /metrics and reports health', async (t) => {
  const a = await startAgent({ 'statsd.listen': ['udp://127.0.0.1:0'], 'statsd.engine': 'ts', 'statsd.flush_interval': 100 });
  t.teardown(() => a.stop());
  const health = await get(a.url + '/healthz');
  t.match(health.text, /statsd/);
  const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(JSON.stringify(JSON.parse(health.text)))?.[1] ?? 0);
  t.ok(port > 0, 'health names the bound port');
  const c = new StatsD({ host: '127.0.0.1', port, protocol: 'udp', mock: false });
  c.increment('agent.e2e', 7, ['env:test']);
  await new Promise<void>((r) => c.close(() => r()));
  let text = '';
  for (let i = 0; i < 100 && !/agent_e2e_total\{env="test"\} 7/.test(text); i++) {
    await new Promise((r) => setTimeout(r, 50));
    text = (await get(a.url + '/metrics')).text;
  }
  t.match(text, /# TYPE agent_e2e_total counter\nagent_e2e_total\{env="test"\} 7/);
});

t.test('a busy StatsD port fails the agent start with one clear error', async (t) => {
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((r) => blocker.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  const port = blocker.address().port;
  await t.rejects(startAgent({ 'statsd.listen': [`udp://127.0.0.1:${port}`], 'statsd.engine': 'ts' }), {
    code: 'OUTRIDER_ERR_STATSD_LISTEN',
    message: new RegExp(`udp://127.0.0.1:${port}.*already in use`),
  });
});

t.test('unix listeners without the native path fail clearly', async (t) => {
  await t.rejects(startAgent({ 'statsd.listen': ['unix:///tmp/outrider-test-never.sock'], 'statsd.engine': 'ts' }), {
    code: 'OUTRIDER_ERR_STATSD_UNIX_NEEDS_NATIVE',
  });
});
