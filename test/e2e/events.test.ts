/**
 * An agent and an aggregator in-process on loopback, with tokens: an anomaly recorded on the agent shows up in the
 * aggregator's fleet events API and in its anomaly count for the agent.
 */
import t from 'tap';
import { startAggregator, tmpDir } from '../aggregator/helpers';
import { startAgent } from '../helpers/agent';

const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });

t.test("an anomaly on the agent reaches the aggregator's events API", async (t) => {
  const agg = await startAggregator(tmpDir(t), { tokens: ['agent-tok e2e-1', 'reader @read'] });
  t.teardown(() => agg.stop());
  const a = await startAgent({
    'report.endpoints': [agg.url()],
    'report.agent_id': 'e2e-1',
    'report.token': 'agent-tok',
    'report.interval': 200,
    'spool.dir': tmpDir(t, 'outrider-events-spool-'),
    'collectors.interval': 60_000,
  });
  t.teardown(() => a.stop());
  t.equal(a.agent.health.get('report_events')?.state, 'running');
  // What the analysis records when a series turns anomalous (agent/analysis/anomalies.ts).
  const timeMs = Date.now();
  a.agent.events.push({ timeMs, kind: 'anomaly_start', family: 'node_load1', labels: {}, detail: { score: 0.97, value: 41 } });

  let events: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 100 && events.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    events = ((await (await fetch(`${agg.url()}/api/v1/events?agent=e2e-1`, { headers: bearer('reader') })).json()) as { data: { events: Array<Record<string, unknown>> } }).data.events;
  }
  t.match(events, [{ agent: 'e2e-1', id: 1, kind: 'anomaly_start', family: 'node_load1', timeMs, detail: { score: 0.97, value: 41 } }]);
  t.equal((await fetch(`${agg.url()}/api/v1/events`)).status, 401, 'the read needs a token that may read');

  let agents: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 100 && agents.length === 0; i++) {
    agents = ((await (await fetch(`${agg.url()}/api/v1/agents`, { headers: bearer('reader') })).json()) as { agents: Array<Record<string, unknown>> }).agents;
    if (agents.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  t.match(agents, [{ agent_id: 'e2e-1', anomaly_events_total: 1, anomaly_events_last_hour: 1 }]);
  const local = await (await fetch(`${a.url}/metrics`)).text();
  t.match(local, /outrider_component_sent_total\{component="report_events"\} \d/, 'the sender honours the component contract');
});
