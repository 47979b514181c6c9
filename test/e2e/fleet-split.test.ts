/**
 * A fleet split across three aggregators, with real processes on loopback: six agents list the same three
 * aggregators and each reports to the one its rendezvous ranking puts first (two each), all three forwarding to a
 * real VictoriaMetrics. One aggregator is killed between two rounds of counting: its two agents move, one to each of
 * the other two (their second choices), keep counting there, and return once it is back. The totals read from
 * VictoriaMetrics' query API — per instance, fleet-wide, `increase()` over the run, and the sum of the three
 * aggregators' own fleet series — equal what the agents counted. The kill falls between rounds, when nothing is in
 * flight, so the one window that is not exact (batches applied but not acknowledged) is empty and every figure is
 * exact.
 */
import t from 'tap';
import { rendezvousOrder } from '../../agent/report/route';
import { eventually, freePort, samples, sleep } from './procs';
import { have, query, scalar, startVictoria } from './fleet-engine';
import { agentsOf, count, Fleet, FleetAgent } from './fleet-procs';

t.setTimeout(120_000);
const ci = process.env.CI === 'true';
if (!have('victoria-metrics') && ci) t.fail('missing victoria-metrics in CI: apt-get install -y victoria-metrics');
const skip = !have('victoria-metrics') && !ci ? 'needs victoria-metrics' : false;

/** Two agent ids per aggregator; those of aggregator 0 rank 1 and 2 second respectively (so its loss splits them). */
function splitIds(endpoints: string[]): string[][] {
  const urls = endpoints.map((e) => new URL(e).href);
  const out: string[][] = [[], [], []];
  const second = new Set<number>();
  for (let i = 0; out.some((ids) => ids.length < 2); i++) {
    const id = `host-${i}`;
    const [first, next] = rendezvousOrder(id, urls) as [number, number];
    if (out[first]!.length >= 2) continue;
    if (first === 0) {
      if (second.has(next)) continue;
      second.add(next);
    }
    out[first]!.push(id);
  }
  return out;
}

/** The last value VictoriaMetrics holds per instance, once it equals what each agent counted (or the last read). */
async function perInstance(vm: string, agents: FleetAgent[]): Promise<Record<string, number>> {
  const read = async () => Object.fromEntries((await query(vm, 'sp_jobs_total{instance!=""}')).map((r) => [r.metric.instance!, r.value]));
  const ok = await eventually(
    async () => {
      const g = await read();
      return agents.every((a) => g[a.id] === a.sent) ? g : undefined;
    },
    30_000,
    200,
  );
  return ok ?? (await read());
}

t.test('split fleet across three aggregators, one killed and restarted: totals in VictoriaMetrics exact', { skip }, async (t) => {
  const fleet = new Fleet();
  t.teardown(() => fleet.close());
  const vm = await startVictoria(t);
  const rw = `${vm}/api/v1/write`;
  const ports = [await freePort(), await freePort(), await freePort()];
  const endpoints = ports.map((p) => `http://127.0.0.1:${p}`);
  const names = ['agg-a', 'agg-b', 'agg-c'];
  const aggs = await Promise.all(names.map((id, i) => fleet.aggregator(id, { remoteWrite: rw, port: ports[i] })));
  const owned = splitIds(endpoints);
  const agents = await Promise.all(owned.flat().map((id) => fleet.agent(id, endpoints)));
  const want = () => Object.fromEntries(agents.map((a) => [a.id, a.sent]));

  // Round 1: every agent at its owner.
  await count(agents, 8, 'sp_jobs_total');
  t.same(await perInstance(vm, agents), want(), 'round 1: per instance as counted');
  // Each aggregator serves exactly the agents that rank it first. On a loaded machine a request can time out and
  // its agent fail over for a moment; it comes back once its owner answers, so this is read once the agents settle.
  const current = async () => {
    const out: string[][] = [];
    for (const url of aggs.map((a) => a.url)) {
      out.push(
        [...(await agentsOf(url))]
          .filter(([, a]) => a.seconds_since_seen < 0.5)
          .map(([id]) => id)
          .sort(),
      );
    }
    return out;
  };
  const settled = await eventually(
    async () => {
      await count(agents, 1, 'sp_jobs_total', 0);
      const c = await current();
      return c.every((ids, i) => ids.join() === [...owned[i]!].sort().join()) ? c : undefined;
    },
    30_000,
    300,
  );
  const shares = settled ?? (await current());
  for (const [i, url] of aggs.map((a) => a.url).entries()) {
    t.same(shares[i], [...owned[i]!].sort(), `${names[i]} serves exactly the agents that rank it first`);
    const strays = [...(await agentsOf(url)).keys()].filter((id) => !owned[i]!.includes(id));
    if (strays.length > 0) t.comment(`${names[i]} also saw ${strays.join(', ')} for a while (a failover under load)`);
  }
  t.same(await perInstance(vm, agents), want(), 'round 1: per instance as counted, after settling');

  // Round 2: A is killed while nothing is in flight; its two agents move, one to B and one to C.
  await sleep(300);
  const a = aggs[0]!;
  await a.proc.kill9();
  await count(agents, 8, 'sp_jobs_total');
  t.same(await perInstance(vm, agents), want(), 'round 2 (A down): per instance as counted');
  const [moveB, moveC] = owned[0]!.map(
    (id) =>
      rendezvousOrder(
        id,
        endpoints.map((e) => new URL(e).href),
      )[1]!,
  );
  t.same([moveB, moveC].sort(), [1, 2], "A's agents moved to different aggregators");
  for (const [k, id] of owned[0]!.entries()) t.ok((await agentsOf(aggs[[moveB, moveC][k]!]!.url)).has(id), `${id} reports to ${names[[moveB, moveC][k]!]} while A is down`);

  // A comes back on its port with its state; its agents probe it and return.
  await sleep(300);
  aggs[0] = await fleet.aggregator('agg-a', { remoteWrite: rw, port: ports[0], dir: a.dir });
  const back = await eventually(
    async () => {
      await count(agents, 1, 'sp_jobs_total', 0);
      const l = await agentsOf(aggs[0]!.url);
      return owned[0]!.every((id) => (l.get(id)?.seconds_since_seen ?? 99) < 0.5);
    },
    30_000,
    300,
  );
  t.ok(back, "A's agents are back at A");

  // Round 3: everyone at its owner again.
  await count(agents, 8, 'sp_jobs_total');
  const total = agents.reduce((s, x) => s + x.sent, 0);
  t.same(await perInstance(vm, agents), want(), 'round 3: per instance as counted');
  t.equal(await scalar(vm, 'sum(sp_jobs_total{instance!=""})'), total, `fleet-wide instant sum: ${total}`);
  t.equal(await scalar(vm, 'sum(increase(sp_jobs_total{instance!=""}[10m]))'), total, 'fleet-wide increase() over the run');
  t.equal(await scalar(vm, 'sum(resets(sp_jobs_total{instance!=""}[10m]))'), 0, 'no move shows as a counter reset');

  // The aggregators' own fleet series: each covers the agents it counted, and together they add up to the total
  // (the handover gave each new owner the last acknowledged values, so nothing is counted twice).
  const own = async () => {
    const m = new Map<string, number>();
    for (const x of aggs) for (const [k, v] of samples(await (await fetch(x.url + '/metrics')).text(), 'sp_jobs_total')) if (k.includes('aggregator=')) m.set(x.id, v);
    return m;
  };
  const sums = await eventually(
    async () => {
      const m = await own();
      return [...m.values()].reduce((s, v) => s + v, 0) === total ? m : undefined;
    },
    10_000,
    200,
  );
  t.equal(
    [...(sums ?? (await own())).values()].reduce((s, v) => s + v, 0),
    total,
    `the three aggregators' own sums add up to ${total}`,
  );
  const inVm = await eventually(async () => ((await scalar(vm, 'sum(sp_jobs_total{aggregator!=""})')) === total ? total : undefined), 10_000, 200);
  t.equal(inVm ?? (await scalar(vm, 'sum(sp_jobs_total{aggregator!=""})')), total, "and so do the aggregators' fleet series in VictoriaMetrics");
  t.equal((await query(vm, 'sp_jobs_total{aggregator!=""}')).length, 3, 'one fleet series per aggregator');
});
