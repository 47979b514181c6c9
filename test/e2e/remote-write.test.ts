/**
 * The aggregator forwards by remote write 1.0 to real VictoriaMetrics and Prometheus (Debian packages
 * `victoria-metrics` and `prometheus`), started here on free loopback ports with temporary data directories; the
 * forwarded values must come back from their query APIs. Skipped when a binary is missing, except in CI (CI=true),
 * where a missing binary is a failure.
 */
import { spawn, ChildProcess, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { eventually, freePort, Proc, samples, sleep, start } from './procs';

// Four real engines started and stopped (one of them twice): on a loaded machine the file needs more than the default.
t.setTimeout(300_000);

const have = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const ci = process.env.CI === 'true';

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-rw-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const children: ChildProcess[] = [];
const procs: Proc[] = [];
t.teardown(async () => {
  for (const p of procs) await p.kill9();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function startVm(port?: number, dataDir = tmp()): Promise<string> {
  return (await vmProcess(port ?? (await freePort()), dataDir)).url;
}

async function vmProcess(port: number, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const c = spawn('victoria-metrics', [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dataDir}`, '-search.latencyOffset=0s', '-search.disableCache', '-retentionPeriod=1'], {
    stdio: 'ignore',
  });
  children.push(c);
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(url + '/health').catch(() => undefined))?.ok, 20_000);
  return { url, child: c };
}

async function startPrometheus(): Promise<string> {
  const port = await freePort();
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
  const c = spawn(
    'prometheus',
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver'],
    { stdio: 'ignore' },
  );
  children.push(c);
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(url + '/-/ready').catch(() => undefined))?.ok, 30_000);
  return url;
}

async function query(base: string, q: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
    const j = (await res.json()) as { data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    for (const r of j.data?.result ?? []) out.set(r.metric.k ?? r.metric.instance ?? '', Number(r.value[1]));
  } catch {
    /* not up yet */
  }
  return out;
}

const missing = ['victoria-metrics', 'prometheus'].filter((b) => !have(b));
if (missing.length > 0 && ci) t.fail(`missing ${missing.join(', ')} in CI: apt-get install -y victoria-metrics prometheus`);
const skip = missing.length > 0 && !ci ? `needs ${missing.join(' and ')} (apt-get install -y victoria-metrics prometheus)` : false;

/** An aggregator forwarding to both engines and an agent reporting to it; returns the agent's push URL. */
async function fleet(vm: string, prom: string, agentId: string, aggArgs: string[] = []): Promise<{ push: string; agg: Proc; ag: Proc; aggUrl: string }> {
  const aggPort = await freePort();
  const agg = start([
    'aggregator',
    '--listen',
    `127.0.0.1:${aggPort}`,
    '--state-dir',
    tmp(),
    '--remote-write',
    `${vm}/api/v1/write`,
    '--remote-write',
    `${prom}/api/v1/write`,
    ...aggArgs,
    '--aggregator.forward-interval',
    '200ms',
  ]);
  procs.push(agg);
  await agg.waitFor(/aggregator is ready/);
  const ag = start([
    'agent',
    '--listen',
    '127.0.0.1:0',
    '--report-to',
    `http://127.0.0.1:${aggPort}`,
    '--spool-dir',
    tmp(),
    '--agent-id',
    agentId,
    '--report.interval',
    '50ms',
    '--push.listen',
    '127.0.0.1:0',
  ]);
  procs.push(ag);
  const push = String((await ag.waitFor(/Push listener is ready/)).url);
  return { push, agg, ag, aggUrl: `http://127.0.0.1:${aggPort}` };
}

t.test('aggregator → remote write → VictoriaMetrics and Prometheus', { skip }, async (t) => {
  const [vm, prom] = await Promise.all([startVm(), startPrometheus()]);
  const { push, agg, ag } = await fleet(vm, prom, 'rw-agent');
  const body = '# TYPE rw_jobs_total counter\nrw_jobs_total{k="a"} 7\nrw_jobs_total{k="b"} 11\n# TYPE rw_temp gauge\nrw_temp 21.5\n';
  t.equal((await fetch(push + '?wait=durable', { method: 'POST', body })).status, 200);
  t.equal((await fetch(push + '?wait=durable', { method: 'POST', body: '# TYPE rw_jobs_total counter\nrw_jobs_total{k="a"} 3\n' })).status, 200);
  const want = new Map([
    ['a', 10],
    ['b', 11],
  ]);
  for (const [name, base] of [
    ['VictoriaMetrics', vm],
    ['Prometheus', prom],
  ] as const) {
    const got = await eventually(
      async () => {
        const m = await query(base, 'rw_jobs_total');
        return m.get('a') === 10 && m.get('b') === 11 ? m : undefined;
      },
      30_000,
      250,
    );
    t.same(got ? Object.fromEntries(got) : Object.fromEntries(await query(base, 'rw_jobs_total')), Object.fromEntries(want), `${name} has the fleet counter totals`);
    const temp = await eventually(async () => (await query(base, 'rw_temp')).get('rw-agent') === 21.5, 30_000, 250);
    t.ok(temp, `${name} has the per-agent gauge with its instance label`);
  }
  await ag.stop();
  await agg.stop();
});

t.test('aggregator → remote write protocol auto → VictoriaMetrics and Prometheus: correct data through the 1.0 fallback', { skip }, async (t) => {
  const [vm, prom] = await Promise.all([startVm(), startPrometheus()]);
  const { push, agg, ag, aggUrl } = await fleet(vm, prom, 'rw2-agent', ['--aggregator.remote-write-protocol', 'auto']);
  t.equal((await fetch(push + '?wait=durable', { method: 'POST', body: '# TYPE rw2_jobs_total counter\nrw2_jobs_total{k="a"} 5\nrw2_jobs_total{k="b"} 8\n' })).status, 200);
  for (const [name, base] of [
    ['VictoriaMetrics', vm],
    ['Prometheus', prom],
  ] as const) {
    const got = await eventually(
      async () => {
        const m = await query(base, 'rw2_jobs_total');
        return m.get('a') === 5 && m.get('b') === 8 ? m : undefined;
      },
      30_000,
      250,
    );
    t.same(got ? Object.fromEntries(got) : Object.fromEntries(await query(base, 'rw2_jobs_total')), { a: 5, b: 8 }, `${name} has the data`);
  }
  const fallbacks = (await (await fetch(`${aggUrl}/metrics`)).text()).split('\n').filter((l) => l.startsWith('outrider_remote_write_fallbacks_total'));
  t.comment(`fallbacks: ${fallbacks.join('; ') || 'none'}`);
  t.ok(fallbacks.length > 0, 'the 1.x receivers were detected and switched to 1.0');
  const warned = agg.lines.filter((l) => /gets remote write 1.0 from now on/.test(String(l.msg)));
  t.equal(new Set(warned.map((l) => l.url)).size, warned.length, 'the fallback is logged once per URL');
  await ag.stop();
  await agg.stop();
});

t.test('agent → remote write directly (no aggregator) → VictoriaMetrics', { skip }, async (t) => {
  const vm = await startVm();
  const ag = start([
    'agent',
    '--listen',
    '127.0.0.1:0',
    '--report.remote-write',
    `${vm}/api/v1/write`,
    '--report.remote-write-interval',
    '200ms',
    '--push.listen',
    '127.0.0.1:0',
    '--spool-dir',
    tmp(),
  ]);
  procs.push(ag);
  const push = String((await ag.waitFor(/Push listener is ready/)).url);
  t.equal((await fetch(push, { method: 'POST', body: '# TYPE direct_total counter\ndirect_total{k="z"} 4\n' })).status, 200);
  const got = await eventually(async () => (await query(vm, 'direct_total')).get('z') === 4, 30_000, 250);
  t.ok(got, 'VictoriaMetrics has the value the agent wrote');
  await ag.stop();
});

/** Every raw sample of `name` VictoriaMetrics holds (its export API), as value by timestamp. */
async function exported(base: string, name: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const res = await fetch(`${base}/api/v1/export?match[]=${encodeURIComponent(name)}`).catch(() => undefined);
  if (!res?.ok) return out;
  for (const line of (await res.text()).split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as { values: number[]; timestamps: number[] };
    j.timestamps.forEach((ts, i) => out.set(ts, j.values[i]!));
  }
  return out;
}

t.test('agent → remote write while VictoriaMetrics is down, the agent killed and restarted meanwhile: every value arrives from the spool', { skip }, async (t) => {
  // A compressed timeline: a 100 ms interval over a ~6 s outage queues about 60 requests, as a 10 minute outage does
  // at a 10 s interval (docs/spool.md has the cap arithmetic for real intervals).
  const port = await freePort();
  const data = tmp();
  let vm = await vmProcess(port, data);
  const spool = tmp();
  const agentArgs = [
    'agent',
    '--listen',
    '127.0.0.1:0',
    '--report.remote-write',
    `${vm.url}/api/v1/write`,
    '--report.remote-write-interval',
    '100ms',
    '--report.retry-max-backoff',
    '300ms',
    '--push.listen',
    '127.0.0.1:0',
    '--spool-dir',
    spool,
    '--agent-id',
    'outage',
  ];
  const startAgent = async () => {
    const ag = start(agentArgs);
    procs.push(ag);
    const push = String((await ag.waitFor(/Push listener is ready/)).url);
    const metrics = String((await ag.waitFor(/Outrider agent is ready/)).url) + '/metrics';
    return { ag, push, metrics };
  };
  let a = await startAgent();
  // The agent's own metrics; a failed scrape says what the agent logged (a crash would show here).
  const scrape = async (): Promise<string> => {
    for (let i = 0; ; i++) {
      try {
        return await (await fetch(a.metrics)).text();
      } catch (err) {
        const errors = a.ag.lines.filter((l) => Number(l.level) >= 50).slice(-5);
        t.comment(`scrape failed (${(err as Error).message}); agent exit code ${a.ag.child.exitCode}; errors: ${JSON.stringify(errors)}`);
        if (i === 2) throw err;
        await sleep(200);
      }
    }
  };
  const pushed: number[] = [];
  // Each value stays in the store for several ticks, so several requests carry it.
  const put = async (v: number) => {
    t.equal((await fetch(a.push, { method: 'POST', body: `# TYPE outage_value gauge\noutage_value ${v}\n` })).status, 200);
    pushed.push(v);
    await sleep(350);
  };
  for (let v = 1; v <= 3; v++) await put(v);
  t.ok(await eventually(async () => [...(await exported(vm.url, 'outage_value')).values()].includes(3), 30_000, 200), 'written while the receiver is up');

  vm.child.kill('SIGTERM');
  await new Promise((r) => vm.child.once('exit', r));
  for (let v = 4; v <= 9; v++) await put(v);
  const during = await scrape();
  const spooled = samples(during, 'outrider_remote_write_spool_bytes');
  t.ok(
    [...spooled.values()].some((b) => b > 0),
    'the requests wait in the spool on disk',
  );
  t.ok(
    [...samples(during, 'outrider_remote_write_breaker_open').values()].some((n) => n === 1),
    'the breaker opened',
  );
  // The agent dies while the receiver is down: what it queued survives in the spool only.
  await a.ag.kill9();
  a = await startAgent();
  for (let v = 10; v <= 13; v++) await put(v);

  vm = await vmProcess(port, data);
  for (let v = 14; v <= 15; v++) await put(v);
  const all = await eventually(
    async () => {
      const m = await exported(vm.url, 'outage_value');
      const values = new Set(m.values());
      return pushed.every((v) => values.has(v)) ? m : undefined;
    },
    60_000,
    250,
  );
  const got = all ?? (await exported(vm.url, 'outage_value'));
  t.same(
    [...new Set(got.values())].sort((x, y) => x - y),
    pushed,
    'every pushed value is in VictoriaMetrics, the outage included, and no other',
  );
  const ts = [...got.keys()].sort((x, y) => x - y);
  const gaps = ts.slice(1).map((x, i) => x - ts[i]!);
  t.comment(`${ts.length} samples over ${((ts.at(-1)! - ts[0]!) / 1000).toFixed(1)} s, largest gap ${Math.max(...gaps)} ms`);
  const last = await eventually(async () => (await query(vm.url, 'outage_value')).get('outage') === 15, 30_000, 250);
  t.ok(last, 'the query API has the latest value');
  const after = await scrape();
  t.notMatch(after, /outrider_remote_write_dropped_requests_total\{[^}]*\} [1-9]/, 'nothing dropped');
  await a.ag.stop();
});
