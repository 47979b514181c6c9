/** The memory limiter: limits (configured or from the cgroup), shedding and recovery, and what sheds in the agent. */
import dgram from 'node:dgram';
import t from 'tap';
import { silentLogger } from '../../agent/core/log';
import { cgroupMemoryLimit, effectiveLimits, MemoryLimiter } from '../../agent/core/memory-limiter';
import { Telemetry } from '../../agent/core/telemetry';
import { Store } from '../../agent/store/store';
import { get, startAgent } from '../helpers/agent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;
const gauge = (name: string) => ({ name, help: '', type: 'gauge' as const });

t.test('limits: configured, derived from the cgroup, or none', async (t) => {
  const o = { limitBytes: 0, spikeBytes: 0, autoFraction: 0.9, checkIntervalMs: 1000 };
  t.equal(effectiveLimits(o, undefined), undefined, 'no limit and no cgroup: off');
  t.same(effectiveLimits(o, 200 * MiB), { hardBytes: 180 * MiB, softBytes: 144 * MiB }, '90 % of the cgroup limit, soft a fifth below');
  t.same(effectiveLimits({ ...o, limitBytes: 100 * MiB, spikeBytes: 10 * MiB }, 200 * MiB), { hardBytes: 100 * MiB, softBytes: 90 * MiB }, 'configured wins');
  const files = (m: Record<string, string>) => (p: string) => {
    if (!(p in m)) throw new Error('ENOENT');
    return m[p]!;
  };
  t.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '201326592\n' })), 192 * MiB, 'cgroup v2');
  t.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' })), undefined, 'cgroup v2 without a limit');
  t.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '268435456' })), 256 * MiB, 'cgroup v1');
  t.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' })), undefined, 'cgroup v1 without a limit');
  t.equal(cgroupMemoryLimit(files({})), undefined);
});

t.test('sheds at the soft limit, recovers below it; transitions and refusals counted', async (t) => {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  let rss = 50 * MiB;
  const m = new MemoryLimiter(
    { limitBytes: 100 * MiB, spikeBytes: 20 * MiB, autoFraction: 0.9, checkIntervalMs: 1000 },
    { store, log: silentLogger(), telemetry, rss: () => rss, cgroupLimit: undefined },
  );
  t.notOk(m.check());
  t.ok(store.set(gauge('a'), { i: '1' }, 1));
  rss = 80 * MiB;
  t.ok(m.check(), 'at the soft limit: shedding');
  t.ok(store.shedding);
  t.notOk(store.set(gauge('a'), { i: '2' }, 1), 'new series refused');
  t.ok(store.set(gauge('a'), { i: '1' }, 2), 'existing series written');
  rss = 79 * MiB;
  t.notOk(m.check(), 'below: recovered');
  t.ok(store.set(gauge('a'), { i: '2' }, 1));
  const text = await telemetry.registry.metrics();
  t.match(text, /outrider_memory_limiter_transitions_total 1/);
  t.match(text, /outrider_memory_limiter_limit_bytes\{kind="soft"\} 83886080/);
  t.match(text, /outrider_memory_limiter_shedding 0/);
});

t.test('an agent over a small configured limit sheds: push 503, no new StatsD series, its telemetry still served', async (t) => {
  const a = await startAgent({
    'memory_limiter.limit': 8 * MiB,
    'memory_limiter.check_interval': 50,
    'push.listen': '127.0.0.1:0',
    'statsd.engine': 'ts',
    'statsd.flush_interval': 100,
    'collectors.interval': 200,
  });
  t.teardown(() => a.stop());
  t.ok(a.agent.memoryLimiter.shedding, 'the resident set is far above 8 MiB');
  const health = JSON.parse((await get(a.url + '/healthz')).text) as { components: Array<{ name: string; detail?: string }> };
  const detailOf = (name: string) => health.components.find((c) => c.name === name)?.detail ?? '';
  const pushUrl = /listening on (\S+)/.exec(detailOf('push'))![1]!;
  const r = await fetch(pushUrl + '/api/v1/push', { method: 'POST', body: 'shed_me 1\n' });
  t.equal(r.status, 503);
  t.equal(r.headers.get('retry-after'), '5');
  t.match(await r.json(), { code: 'OUTRIDER_ERR_PUSH_MEMORY_LIMIT' });
  const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(detailOf('statsd'))![1]);
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  let text = '';
  for (let i = 0; i < 50; i++) {
    sock.send('shed_statsd:1|c', port, '127.0.0.1');
    await sleep(100);
    text = (await get(a.url + '/metrics')).text;
    if (/outrider_statsd_series_overflow_total\{limit="memory"\} [1-9]/.test(text) && /outrider_push_refused_requests_total\{reason="memory_limit"\} 1/.test(text)) break;
  }
  t.notMatch(text, /^shed_statsd_total/m, 'no new StatsD series');
  t.match(text, /outrider_statsd_series_overflow_total\{limit="memory"\} [1-9]/, 'counted');
  t.match(text, /outrider_memory_limiter_shedding 1/, 'its own telemetry is served while shedding');
  t.match(text, /outrider_push_refused_requests_total\{reason="memory_limit"\} 1/);
  t.match(text, /outrider_memory_limiter_refused_series_total [0-9]/);
});

t.test('started, it reads the resident set every check_interval, on the telemetry shared tick', async (t) => {
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  let rss = 50 * MiB;
  let reads = 0;
  const m = new MemoryLimiter(
    { limitBytes: 100 * MiB, spikeBytes: 20 * MiB, autoFraction: 0.9, checkIntervalMs: 40 },
    {
      store,
      log: silentLogger(),
      telemetry,
      rss: () => {
        reads++;
        return rss;
      },
      cgroupLimit: undefined,
    },
  );
  let ticks = 0;
  const other = telemetry.interval(40, () => ticks++);
  t.teardown(() => other.stop());
  m.start();
  t.notOk(m.shedding);
  rss = 90 * MiB;
  for (let i = 0; i < 50 && !m.shedding; i++) await sleep(20);
  t.ok(m.shedding, 'a rise is seen by a later check');
  rss = 10 * MiB;
  for (let i = 0; i < 50 && m.shedding; i++) await sleep(20);
  t.notOk(m.shedding, 'and the fall');
  m.stop();
  const after = reads;
  const ticksThen = ticks;
  await sleep(200);
  t.equal(reads, after, 'no reads once stopped');
  t.ok(ticks > ticksThen, 'the other caller of the period goes on');
});
