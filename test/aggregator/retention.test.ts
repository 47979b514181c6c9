/**
 * Agents not seen for aggregator.agent_retention are forgotten: their series states, applied sequences and
 * definitions leave the state (durably: a restart does not bring them back), fleet series only they added to leave
 * the store, and the bounds they held (max_agents, max_series) are free again.
 */
import t from 'tap';
import { frame, metricsMatching, payload, post, startAggregator, tmpDir } from './helpers';

const metrics = async (url: string) => (await fetch(url + '/metrics')).text();
const fam = { fid: 1, name: 'jobs_total', type: 'counter' as const, help: 'jobs' };
/** A pod's agent: a series shared with the other pods and one with the pod's own label (as pod identity adds). */
const defs = (pod: string) => ({
  families: [fam],
  series: [
    { sid: 1, fid: 1, labels: ['queue', 'shared'] },
    { sid: 2, fid: 1, labels: ['pod', pod] },
  ],
});

t.test('a retired agent is forgotten after the retention: its states, its own fleet series, its slot', async (t) => {
  const dir = tmpDir(t);
  const agg = await startAggregator(dir, { agentExpiryMs: 60_000, agentRetentionMs: 3600_000, maxAgents: 2 });
  const url = agg.url();
  t.equal((await post(url, frame(payload({ agentId: 'pod-a', ...defs('pod-a'), scalars: [1, 10, 2, 4] }), 1, 1))).status, 200);
  t.equal((await post(url, frame(payload({ agentId: 'pod-b', ...defs('pod-b'), scalars: [1, 5, 2, 6] }), 1, 1))).status, 200);
  const full = await post(url, frame(payload({ agentId: 'pod-c', ...defs('pod-c'), scalars: [1, 1] }), 1, 1));
  t.equal(full.status, 429, 'max_agents reached');
  const seen = Date.now();
  agg.state.agents.get('pod-a')!.lastSeenMs = seen - 2 * 3600_000; // pod-a went away two hours ago
  t.equal(agg.expireAgents(seen), 1, 'pod-a retired');
  t.equal(agg.forgetAgents(seen + 1), 1, 'and forgotten: past the retention');
  t.equal(agg.forgetAgents(seen + 2), 0, 'once');
  t.notOk(agg.state.agents.has('pod-a'));
  t.same(
    [...agg.state.series.values()].map((s) => s.agent).filter((a) => a === 'pod-a'),
    [],
    "pod-a's series states are gone",
  );
  const text = await metrics(url);
  t.notMatch(text, /pod="pod-a"/, 'the fleet series only pod-a added to is gone');
  t.match(text, /^jobs_total\{queue="shared"\} 5$/m, 'the shared fleet series stays, with pod-b alone');
  t.match(text, /^jobs_total\{pod="pod-b"\} 6$/m);
  const counted = /^outrider_aggregator_agents_forgotten_total 1$/m;
  t.match(await metricsMatching(url, counted), counted);
  const c = await post(url, frame(payload({ agentId: 'pod-c', ...defs('pod-c'), scalars: [1, 1] }), 1, 1));
  t.equal(c.status, 200, "pod-a's slot is free for a new agent");
  await agg.stop();

  const again = await startAggregator(dir, { agentExpiryMs: 60_000, agentRetentionMs: 3600_000, maxAgents: 2 });
  t.teardown(() => again.stop());
  t.notOk(again.state.agents.has('pod-a'), 'a restart does not bring it back');
  t.same([...again.state.agents.keys()].sort(), ['pod-b', 'pod-c']);
  t.match(await metrics(again.url()), /^jobs_total\{queue="shared"\} 6$/m, 'the rebuilt sum: pod-b 5 + pod-c 1');
});

t.test('an agent not yet past the retention is kept, and one that reports again after being forgotten starts afresh', async (t) => {
  const agg = await startAggregator(tmpDir(t), { agentExpiryMs: 60_000, agentRetentionMs: 3600_000 });
  t.teardown(() => agg.stop());
  const url = agg.url();
  await post(url, frame(payload({ agentId: 'vm-1', ...defs('vm-1'), scalars: [1, 10] }), 1, 1));
  const seen = agg.state.agents.get('vm-1')!.lastSeenMs;
  t.equal(agg.expireAgents(seen + 120_000), 1);
  t.equal(agg.forgetAgents(seen + 1800_000), 0, 'retired half an hour: kept');
  t.equal(agg.forgetAgents(seen + 3600_001), 1, 'past the hour: forgotten');
  const r = await post(url, frame(payload({ agentId: 'vm-1', scalars: [1, 12] }), 1, 1));
  t.equal(r.status, 409, 'its definitions went with it: asked for again');
  const d = await post(url, frame(payload({ agentId: 'vm-1', ...defs('vm-1'), scalars: [1, 12] }), 1, 1));
  t.equal(d.status, 200, 'the same batch number applies again: its applied sequences went too');
  t.match(await metrics(url), /^jobs_total\{queue="shared"\} 12$/m, 'its counter counted from its current value');
});
