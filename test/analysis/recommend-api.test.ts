/** GET /api/v1/recommendations on a running agent, and the recommend.enabled switch. */
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { get, startAgent } from '../helpers/agent';

const cpu = { name: 'container_cpu_usage_seconds_total', help: 'h', type: 'counter' as const };

t.test("the agent serves the recommender's recommendations as JSON", async (t) => {
  const a = await startAgent({ 'collectors.interval': 60_000, 'recommend.interval': 1000 });
  t.teardown(() => a.stop());
  t.ok(a.agent.contracts.has('recommend'), 'the recommend component runs by default');
  let res = await get(`${a.url}/api/v1/recommendations`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /application\/json/);
  t.notOk(
    (JSON.parse(res.text) as { data: Array<{ container: string }> }).data.some((e) => e.container === '/kubepods/podx/c'),
    'nothing for the cgroup before a CPU rate',
  );
  // A cgroup's CPU counter growing by 0.5 s per second: after two of the recommender's samples it has a rate.
  type Entry = { container: string; cpuCores: { target: number } };
  let mine: Entry | undefined;
  const start = Date.now();
  for (let i = 0; i < 40 && !mine; i++) {
    a.agent.store.set(cpu, { id: '/kubepods/podx/c' }, ((Date.now() - start) / 1000) * 0.5);
    await sleep(250);
    res = await get(`${a.url}/api/v1/recommendations`);
    mine = (JSON.parse(res.text) as { data: Entry[] }).data.find((e) => e.container === '/kubepods/podx/c');
  }
  t.ok(mine, "the cgroup fed to the store is listed (next to the host's own cgroups)");
  const target = mine?.cpuCores.target ?? NaN;
  // The rate is over the counter's write times (the value is written with the time it is for), so a late tick
  // does not move it: the target is 0.5 × 1.15 within the histogram's bucket.
  t.ok(target >= 0.5 * 1.15 * 0.8 && target <= 0.5 * 1.15 * 1.3, `target ≈ 0.5 × 1.15: ${target}`);
});

t.test('recommend.enabled: false runs no recommender and answers an empty list', async (t) => {
  const b = await startAgent({ 'recommend.enabled': false });
  t.teardown(() => b.stop());
  t.notOk(b.agent.contracts.has('recommend'));
  const res = await get(`${b.url}/api/v1/recommendations`);
  t.same(JSON.parse(res.text), { status: 'success', data: [] });
});
