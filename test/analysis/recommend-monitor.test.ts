/** The recommender over a store: cgroup series in, recommendation gauges out, the state file across restarts. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Recommender } from '../../agent/analysis/recommend/monitor';
import type { RecommendOptions } from '../../agent/analysis/recommend/options';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { Store } from '../../agent/store/store';

const MIN = 60_000;
const MiB = 1024 * 1024;
const t0 = Date.UTC(2026, 0, 1);
const cpu = { name: 'container_cpu_usage_seconds_total', help: 'h', type: 'counter' as const };
const mem = { name: 'container_memory_working_set_bytes', help: 'h', type: 'gauge' as const };
const oom = { name: 'container_oom_events_total', help: 'h', type: 'counter' as const };

function bucketEnd(v: number, first: number): number {
  const i = Math.floor(Math.log((v * 0.05) / first + 1) / Math.log(1.05));
  return (first * (Math.pow(1.05, i + 1) - 1)) / 0.05;
}

function make(store: Store, over: Partial<RecommendOptions> = {}) {
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const opts: RecommendOptions = { enabled: true, intervalMs: MIN, maxContainers: 10, stateFile: '', ...over };
  return { rec: new Recommender(opts, { store, telemetry, log: silentLogger() }), telemetry };
}

/** One day of one cgroup at 0.5 cores and 600 MiB, sampled each minute. */
function feed(store: Store, rec: Recommender, fromMin: number, minutes: number): void {
  const id = { id: '/kubepods/pod1/app' };
  for (let i = fromMin; i < fromMin + minutes; i++) {
    store.set(cpu, id, i * 30, t0 + i * MIN); // 30 CPU seconds per minute: 0.5 cores
    store.set(mem, id, 600 * MiB, t0 + i * MIN);
    store.set(oom, id, 0, t0 + i * MIN);
    rec.tick(t0 + i * MIN);
  }
}

function gauges(store: Store, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of store.getFamily(name)?.series.values() ?? []) out.set(s.labelText, s.value);
  return out;
}

t.test('cgroup series in, VPA recommendation out', async (t) => {
  const store = new Store();
  const { rec } = make(store);
  feed(store, rec, 0, 1440);
  const r = rec.recommendations();
  t.equal(r.length, 1);
  t.equal(r[0]!.container, '/kubepods/pod1/app');
  const wantCpu = bucketEnd(0.5, 0.01) * 1.15;
  t.ok(Math.abs(r[0]!.cpuCores.target - wantCpu) < 1e-9, `CPU target ${r[0]!.cpuCores.target} = ${wantCpu}`);
  t.ok(Math.abs(r[0]!.memoryBytes.target - bucketEnd(600 * MiB, 1e7) * 1.15) < 1e-3);
  const g = gauges(store, 'outrider_recommendation_cpu_cores');
  t.equal(g.get('{bound="target",container="/kubepods/pod1/app",resource="cpu"}'), r[0]!.cpuCores.target);
  t.equal(g.size, 3, 'target, lower and upper');
  t.equal(gauges(store, 'outrider_recommendation_memory_bytes').size, 3);
  // An OOM event bumps memory: 600 MiB → max(700 MiB, 720 MiB) = 720 MiB.
  store.set(oom, { id: '/kubepods/pod1/app' }, 1);
  rec.tick(t0 + 1440 * MIN);
  t.ok(Math.abs(rec.recommendations()[0]!.memoryBytes.target - bucketEnd(720 * MiB, 1e7) * 1.15) < 1e-3, 'OOM bump');
  await rec.stop();
  t.equal(gauges(store, 'outrider_recommendation_cpu_cores').size, 0, 'outputs dropped at stop');
});

t.test('the state survives a restart; a corrupt state file starts empty and is counted', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-recommend-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const stateFile = path.join(dir, 'recommend.json');
  const store = new Store();
  const a = make(store, { stateFile }).rec;
  feed(store, a, 0, 600);
  const before = a.recommendations();
  t.ok(fs.existsSync(stateFile) && !fs.existsSync(stateFile + '.tmp'), 'written by rename');
  const b = make(new Store(), { stateFile }).rec;
  await b.start();
  t.same(b.recommendations(), before, 'same recommendation after a restart');
  await b.stop();
  fs.writeFileSync(stateFile, '{"version":1,"containers":{"x":{"cpu":7}}}');
  const c = make(new Store(), { stateFile });
  await c.rec.start();
  t.same(c.rec.recommendations(), []);
  t.match(await c.telemetry.registry.getSingleMetricAsString('outrider_recommend_state_errors_total'), /total 1/);
  await c.rec.stop();
});

t.test("the CPU rate is over the counter's write times, not the ticks' times", async (t) => {
  // Writes each minute on the minute; the ticks run 0 or 20 s after them, alternately. Over the ticks' times the
  // rates would alternate 30/80 s and 30/40 s; over the writes' times each is 0.5 cores.
  const store = new Store();
  const { rec, telemetry } = make(store);
  const id = { id: '/kubepods/pod1/app' };
  for (let i = 0; i < 200; i++) {
    store.set(cpu, id, i * 30, t0 + i * MIN);
    rec.tick(t0 + i * MIN + (i % 2 === 0 ? 0 : 20_000));
  }
  const r = rec.recommendations();
  const want = bucketEnd(0.5, 0.01) * 1.15;
  t.ok(Math.abs(r[0]!.cpuCores.target - want) < 1e-9, `CPU target ${r[0]!.cpuCores.target} = ${want}`);
  // A tick with no write since the last adds no sample (it is not a rate of 0).
  const count = async () => Number(/ (\d+)$/m.exec(await telemetry.registry.getSingleMetricAsString('outrider_recommend_samples_total'))?.[1]);
  const before = await count();
  rec.tick(t0 + 300 * MIN);
  t.equal(await count(), before, 'no new sample without a new write');
});

t.test('bounded: cgroups past max_containers are skipped and counted', async (t) => {
  const store = new Store();
  const { rec, telemetry } = make(store, { maxContainers: 2 });
  for (let k = 0; k < 5; k++) store.set(cpu, { id: `/c${k}` }, 1);
  rec.tick(t0);
  for (let k = 0; k < 5; k++) store.set(cpu, { id: `/c${k}` }, 31);
  rec.tick(t0 + MIN);
  t.equal(rec.recommendations().length, 2);
  t.match(await telemetry.registry.getSingleMetricAsString('outrider_recommend_skipped_containers_total'), /total 6/);
});
