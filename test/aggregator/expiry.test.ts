/**
 * Agents that stop reporting leave this aggregator's fleet sums, their own series and /api/v1/agents after
 * aggregator.agent_expiry, and rejoin with their next batch; the fleet sums carry the aggregator's label.
 */
import t from 'tap';
import { counterDefs, frame, payload, post, startAggregator, tmpDir } from './helpers';
import { sleep } from '../e2e/procs';

const metrics = async (url: string) => (await fetch(url + '/metrics')).text();
const agents = async (url: string) => ((await (await fetch(url + '/api/v1/agents')).json()) as { agents: Array<{ agent_id: string }> }).agents.map((a) => a.agent_id).sort();

t.test('an agent not seen for the expiry leaves the fleet sums and the listing, and rejoins when it reports', async (t) => {
  const dir = tmpDir(t);
  const agg = await startAggregator(dir, { aggregatorId: 'agg-t', agentExpiryMs: 60_000 });
  const url = agg.url();
  await post(url, frame(payload({ agentId: 'a1', ...counterDefs, scalars: [10, 10] }), 1, 1));
  const a1Seen = Date.now();
  await sleep(50);
  await post(url, frame(payload({ agentId: 'a2', ...counterDefs, scalars: [10, 5] }), 1, 1));
  t.equal(agg.expireAgents(a1Seen + 60_005), 1, 'the clock a minute on: a1 expired, a2 (seen 50 ms later) not');
  let text = await metrics(url);
  t.match(text, /^reqs_total\{aggregator="agg-t",path="\/a"\} 5$/m, "a1's 10 taken out of the fleet sum");
  t.notMatch(text, /instance="a1"/, "a1's own series gone");
  t.match(text, /^reqs_total\{instance="a2",path="\/a"\} 5 \d+$/m, "a2's own series, with its timestamp");
  t.same(await agents(url), ['a2'], '/api/v1/agents lists the agents owned now');
  await post(url, frame(payload({ agentId: 'a1', scalars: [10, 12] }), 1, 2));
  text = await metrics(url);
  t.match(text, /^reqs_total\{aggregator="agg-t",path="\/a"\} 17$/m, 'a1 rejoins with everything it counted here: 12 + 5');
  t.match(text, /^reqs_total\{instance="a1",path="\/a"\} 12 \d+$/m);
  t.same(await agents(url), ['a1', 'a2']);
  await agg.stop();

  // Restarted after both went quiet: the state keeps them (for deduplication), the fleet sums do not.
  await sleep(300);
  const again = await startAggregator(dir, { aggregatorId: 'agg-t', agentExpiryMs: 250 });
  t.teardown(() => again.stop());
  text = await metrics(again.url());
  t.notMatch(text, /^reqs_total\{/m, 'expired agents are left out of the rebuilt sums and series');
  t.same(await agents(again.url()), []);
  const r = await post(again.url(), frame(payload({ agentId: 'a1', scalars: [10, 12] }), 1, 2));
  t.same(r.json, { status: 'duplicate' }, 'a batch applied before still deduplicates');
});

t.test('without an id the fleet sums carry no aggregator label; a series with its own aggregator label keeps it', async (t) => {
  const agg = await startAggregator(tmpDir(t), { aggregatorId: 'agg-u' });
  t.teardown(() => agg.stop());
  const defs = { families: [{ fid: 1, name: 'hits_total', type: 'counter' as const, help: 'h' }], series: [{ sid: 1, fid: 1, labels: ['aggregator', 'app'] }] };
  await post(agg.url(), frame(payload({ ...defs, scalars: [1, 3] }), 1, 1));
  t.match(await metrics(agg.url()), /^hits_total\{aggregator="app",outrider_aggregator="agg-u"\} 3$/m);
  const plain = await startAggregator(tmpDir(t));
  t.teardown(() => plain.stop());
  await post(plain.url(), frame(payload({ ...defs, scalars: [1, 3] }), 1, 1));
  t.match(await metrics(plain.url()), /^hits_total\{aggregator="app"\} 3$/m);
});
