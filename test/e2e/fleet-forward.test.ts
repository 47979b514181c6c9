/**
 * Idempotent forwarding: two aggregators forwarding one agent's batches (some to both, as a failover replay does)
 * to real VictoriaMetrics (with -dedup.minScrapeInterval) and Prometheus (with an out-of-order window). The agent's
 * series carry its own timestamps, so the sample written through both aggregators is one sample in the engine and
 * the totals read back equal what was sent; the aggregators' own fleet sums carry their `aggregator` label.
 */
import t from 'tap';
import { frame, payload, post, startAggregator, tmpDir } from '../aggregator/helpers';
import { eventually, sleep } from './procs';
import { have, query, scalar, startPrometheus, startVictoria } from './fleet-engine';

t.setTimeout(120_000);
const ci = process.env.CI === 'true';
const missing = ['victoria-metrics', 'prometheus'].filter((b) => !have(b));
if (missing.length > 0 && ci) t.fail(`missing ${missing.join(', ')} in CI: apt-get install -y victoria-metrics prometheus`);
const skip = missing.length > 0 && !ci ? `needs ${missing.join(' and ')}` : false;

const defs = {
  families: [{ fid: 1, name: 'fw_jobs_total', type: 'counter' as const, help: 'jobs' }],
  series: [{ sid: 1, fid: 1, labels: ['k', 'a'] }],
};

t.test('the same batches through two aggregators: one sample each in VictoriaMetrics and Prometheus, totals as sent', { skip }, async (t) => {
  const [vm, prom] = await Promise.all([startVictoria(t), startPrometheus(t)]);
  const rw = [`${vm}/api/v1/write`, `${prom}/api/v1/write`];
  const a = await startAggregator(tmpDir(t), { remoteWrite: rw, forwardIntervalMs: 100, aggregatorId: 'agg-a', storeWrites: 'on-read' });
  const b = await startAggregator(tmpDir(t), { remoteWrite: rw, forwardIntervalMs: 100, aggregatorId: 'agg-b', storeWrites: 'on-read' });
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  const epoch = Date.now() - 120_000;
  const base = Date.now() - 60_000;
  // Agent x counts 7 per batch; batches 1-6 reach A, 6-10 reach B (6 on both: applied by A, replayed to B).
  const send = async (url: string, seq: number) => {
    const p = payload({ agentId: 'x', sentMs: base + seq * 1000, ...(seq === 1 || url === b.url() ? defs : {}), scalars: [1, seq * 7] });
    const r = await post(url, frame(p, epoch, seq));
    t.equal(r.status, 200, `batch ${seq}`);
  };
  const forwarded = (agg: typeof a) => agg.forward!.tick();
  for (let seq = 1; seq <= 6; seq++) {
    await send(a.url(), seq);
    await forwarded(a);
  }
  await send(b.url(), 6);
  await forwarded(b);
  for (let seq = 7; seq <= 10; seq++) {
    await send(b.url(), seq);
    await forwarded(b);
  }
  await sleep(300);
  for (const [name, url] of [
    ['VictoriaMetrics', vm],
    ['Prometheus', prom],
  ] as const) {
    const last = await eventually(async () => (await scalar(url, 'fw_jobs_total{instance="x"}')) === 70, 20_000, 200);
    t.ok(last, `${name}: the agent's counter reads 70, the last value sent`);
    const count = await eventually(
      async () => {
        const n = await scalar(url, 'count_over_time(fw_jobs_total{instance="x"}[10m])');
        return n === 10 ? n : undefined;
      },
      10_000,
      200,
    );
    t.equal(count ?? (await scalar(url, 'count_over_time(fw_jobs_total{instance="x"}[10m])')), 10, `${name}: ten samples, the one written through both aggregators kept once`);
    t.equal(await scalar(url, 'count(count_over_time(fw_jobs_total{instance="x"}[10m]))'), 1, `${name}: one series for the agent, whichever aggregator wrote it`);
    const aggs = await eventually(
      async () => {
        const l = (await query(url, 'fw_jobs_total{aggregator!=""}')).map((r) => r.metric.aggregator).sort();
        return l.length === 2 ? l : undefined;
      },
      10_000,
      200,
    );
    t.same(aggs, ['agg-a', 'agg-b'], `${name}: each aggregator's own fleet sum carries its label`);
    t.equal((await query(url, 'fw_jobs_total{aggregator!="",instance!=""}')).length, 0, `${name}: no series has both labels`);
  }
});
