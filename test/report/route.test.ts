/** Rendezvous ranking of aggregators per agent, stickiness across restarts, failover in order, return after probes. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { silentLogger } from '../../agent/core/log';
import { EndpointRoute, rendezvousOrder } from '../../agent/report/route';

const eps = ['http://a:9478', 'http://b:9478', 'http://c:9478'];
const ids = Array.from({ length: 3000 }, (_, i) => `host-${i}`);

t.test('rendezvous: each agent has a stable ranking; the fleet spreads evenly; losing one aggregator moves only its agents', async (t) => {
  t.same(rendezvousOrder('web-17', eps), rendezvousOrder('web-17', [...eps]), 'deterministic');
  t.same([...rendezvousOrder('web-17', eps)].sort(), [0, 1, 2], 'a permutation');
  const owners = ids.map((id) => rendezvousOrder(id, eps)[0]!);
  for (let i = 0; i < 3; i++) {
    const n = owners.filter((o) => o === i).length;
    t.ok(n > 850 && n < 1150, `aggregator ${i} owns ${n} of 3000`);
  }
  const two = [eps[0]!, eps[2]!];
  let moved = 0;
  ids.forEach((id, k) => {
    const before = eps[owners[k]!]!;
    const after = two[rendezvousOrder(id, two)[0]!]!;
    if (before !== after) {
      moved++;
      t.equal(before, eps[1], 'only agents of the lost aggregator move');
    }
    // The new owner is the agent's own second choice: where it fails over to.
    if (before === eps[1]) t.equal(after, eps[rendezvousOrder(id, eps)[1]!]);
  });
  t.equal(moved, owners.filter((o) => o === 1).length);
});

t.test('fails over in its order, probes with backoff, returns to the owner when healthy; the place survives a restart', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-route-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const healthy = new Set<number>();
  const probes: number[] = [];
  const moves: string[] = [];
  const make = () =>
    new EndpointRoute({
      agentId: 'web-17',
      endpoints: eps,
      dir,
      probe: async (i) => {
        probes.push(Date.now());
        return healthy.has(i);
      },
      probeMinMs: 20,
      probeMaxMs: 80,
      log: silentLogger(),
      onMove: (to, why) => moves.push(`${why}:${to}`),
    });
  const r = make();
  const order = r.order;
  t.equal(r.current, order[0], 'starts at its owner');
  t.ok(r.atOwner);
  r.failover();
  t.equal(r.current, order[1], 'the owner fails: the second in its order');
  t.equal(fs.readFileSync(path.join(dir, 'endpoint'), 'utf8').trim(), eps[order[1]!], 'the place is kept in the spool directory');
  r.stop();
  // A restart while failed over stays where it was (no replay towards another aggregator).
  const again = make();
  t.equal(again.current, order[1], 'restarted: still at the second');
  again.start();
  await new Promise((res) => setTimeout(res, 300));
  t.equal(again.current, order[1], 'the owner is still down');
  const gaps = probes.slice(1).map((p, i) => p - probes[i]!);
  t.ok(probes.length >= 3 && probes.length <= 8, `probed ${probes.length} times in 300 ms (backoff 20 ms doubling to 80 ms)`);
  t.ok(gaps.at(-1)! >= 60, `the gap grew to ${gaps.at(-1)} ms`);
  healthy.add(order[0]!);
  await new Promise((res) => setTimeout(res, 200));
  t.equal(again.current, order[0], 'back at the owner once it answers');
  t.same(moves.slice(-1), [`return:${order[0]}`]);
  t.equal(fs.readFileSync(path.join(dir, 'endpoint'), 'utf8').trim(), eps[order[0]!]);
  again.stop();
});

t.test('a failed request with a failing health check moves at once; a healthy one keeps the agent; one check at a time', async (t) => {
  const healthy = new Set<number>([0, 1, 2]);
  let checks = 0;
  const moved: number[] = [];
  const r = new EndpointRoute({
    agentId: 'web-17',
    endpoints: eps,
    probe: async (i) => {
      checks++;
      await new Promise((res) => setTimeout(res, 20));
      return healthy.has(i);
    },
    log: silentLogger(),
  });
  r.onMoved(() => moved.push(r.current));
  const order = r.order;
  r.failed();
  await new Promise((res) => setTimeout(res, 60));
  t.equal(r.current, order[0], 'the owner answers its health check: the agent stays (the breaker decides)');
  t.same(moved, []);
  healthy.delete(order[0]!);
  r.failed();
  r.failed();
  r.failed();
  t.equal(checks, 2, 'failures while a check runs do not start another');
  await new Promise((res) => setTimeout(res, 60));
  t.equal(r.current, order[1], 'the owner does not answer: the next in the ranking, without waiting for the breaker');
  t.same(moved, [order[1]], 'listeners hear of the move');
  r.stop();
  const single = new EndpointRoute({ agentId: 'x', endpoints: [eps[0]!], probe: async () => false, log: silentLogger() });
  single.failed();
  await new Promise((res) => setTimeout(res, 10));
  t.equal(single.current, 0, 'one endpoint: nowhere to go');
});
