/**
 * The fleet through aggregator failures, with real processes on loopback: agents listing two aggregators (ranked by
 * rendezvous hashing of their ids), both aggregators forwarding to a real VictoriaMetrics. An aggregator is killed
 * and kept down, restarted, or stalled past the report timeout while agents keep counting; each test ends with the
 * totals read from VictoriaMetrics' query API (per agent, fleet-wide, and no spurious counter resets) equal to what
 * the agents counted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { Test } from 'tap';
import { rendezvousOrder } from '../../agent/report/route';
import { eventually, freePort, Proc, sleep, start } from './procs';
import { have, query, scalar, startVictoria } from './fleet-engine';

t.setTimeout(240_000);
const ci = process.env.CI === 'true';
if (!have('victoria-metrics') && ci) t.fail('missing victoria-metrics in CI: apt-get install -y victoria-metrics');
const skip = !have('victoria-metrics') && !ci ? 'needs victoria-metrics' : false;

const procs: Proc[] = [];
t.teardown(async () => {
  for (const p of procs) await p.kill9();
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-failover-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

interface Agg {
  proc: Proc;
  url: string;
  port: number;
  dir: string;
}

async function aggregator(id: string, vm: string, port?: number, dir = tmp()): Promise<Agg> {
  const p = port ?? (await freePort());
  const proc = start(['aggregator', '--listen', `127.0.0.1:${p}`, '--state-dir', dir, '--remote-write', `${vm}/api/v1/write`, '--aggregator.id', id, '--aggregator.forward-interval', '200ms']);
  procs.push(proc);
  await proc.waitFor(/aggregator is ready/);
  return { proc, url: `http://127.0.0.1:${p}`, port: p, dir };
}

interface Agent {
  id: string;
  proc: Proc;
  push: string;
  spool: string;
  sent: number;
}

async function agent(id: string, endpoints: string[], spool = tmp()): Promise<Agent> {
  const args = [
    'agent',
    '--listen',
    '127.0.0.1:0',
    '--spool-dir',
    spool,
    '--agent-id',
    id,
    '--report.interval',
    '100ms',
    '--report.timeout',
    '1s',
    '--report.retry-initial-backoff',
    '20ms',
    '--report.retry-max-backoff',
    '200ms',
    '--push.listen',
    '127.0.0.1:0',
  ];
  for (const e of endpoints) args.push('--report-to', e);
  const proc = start(args);
  procs.push(proc);
  const push = String((await proc.waitFor(/Push listener is ready/)).url);
  return { id, proc, push, spool, sent: 0 };
}

/** Agent ids such that the first `nA` are owned by endpoint 0 and the rest by endpoint 1. */
function idsFor(endpoints: string[], nA: number, nB: number): string[] {
  const a: string[] = [];
  const b: string[] = [];
  for (let i = 0; a.length < nA || b.length < nB; i++) {
    const id = `host-${i}`;
    // Ranked as the agent ranks them: by the endpoint URLs as its configuration normalises them.
    const owner = rendezvousOrder(
      id,
      endpoints.map((e) => new URL(e).href),
    )[0];
    if (owner === 0 && a.length < nA) a.push(id);
    if (owner === 1 && b.length < nB) b.push(id);
  }
  return [...a, ...b];
}

/** Each agent counts `n` more jobs, one push at a time, every push durable in its spool before the next. */
async function count(agents: Agent[], n: number): Promise<void> {
  await Promise.all(
    agents.map(async (ag) => {
      for (let i = 0; i < n; i++) {
        const res = await fetch(ag.push + '?wait=durable', { method: 'POST', body: '# TYPE fo_jobs_total counter\nfo_jobs_total 3\n' });
        if (res.status === 200) ag.sent += 3;
        await sleep(20);
      }
    }),
  );
}

/** Waits until VictoriaMetrics has every agent's total, then checks per agent, fleet-wide and resets. */
async function checkTotals(t: Test, vm: string, agents: Agent[]): Promise<void> {
  const want = Object.fromEntries(agents.map((a) => [a.id, a.sent]));
  const read = async () => Object.fromEntries((await query(vm, 'fo_jobs_total{instance!=""}')).map((r) => [r.metric.instance!, r.value]));
  const got = await eventually(
    async () => {
      const g = await read();
      return agents.every((a) => g[a.id] === a.sent) ? g : undefined;
    },
    40_000,
    250,
  );
  t.same(got ?? (await read()), want, 'per agent: the last value VictoriaMetrics holds is what the agent counted');
  const total = agents.reduce((s, a) => s + a.sent, 0);
  t.equal(await scalar(vm, 'sum(fo_jobs_total{instance!=""})'), total, `fleet-wide: ${total}`);
  t.equal(await scalar(vm, 'sum(increase(fo_jobs_total{instance!=""}[10m]))'), total, `fleet-wide increase() over the run: ${total}`);
  // Per agent, so a failure names the agent whose samples to look at (/api/v1/export?match[]=fo_jobs_total).
  const resets = Object.fromEntries((await query(vm, 'resets(fo_jobs_total{instance!=""}[10m])')).map((r) => [r.metric.instance!, r.value]));
  t.same(resets, Object.fromEntries(agents.map((a) => [a.id, 0])), 'no switch between aggregators shows as a counter reset');
}

t.test('kill the owner of two agents and keep it down, then restart it: agents fail over, come back, totals exact', { skip }, async (t) => {
  const vm = await startVictoria(t);
  const pa = await freePort();
  const pb = await freePort();
  const endpoints = [`http://127.0.0.1:${pa}`, `http://127.0.0.1:${pb}`];
  let a = await aggregator('agg-a', vm, pa);
  const b = await aggregator('agg-b', vm, pb);
  const agents = await Promise.all(idsFor(endpoints, 2, 1).map((id) => agent(id, endpoints)));
  await count(agents, 20);
  await a.proc.kill9();
  await count(agents, 20);
  await checkTotals(t, vm, agents);
  const onB = ((await (await fetch(b.url + '/api/v1/agents')).json()) as { agents: Array<{ agent_id: string }> }).agents.map((x) => x.agent_id).sort();
  t.same(onB, agents.map((x) => x.id).sort(), 'every agent reports to B while A is down');

  // A comes back on its port with its state: the agents it owns probe it and return.
  a = await aggregator('agg-a', vm, pa, a.dir);
  const back = await eventually(
    async () => {
      const l = ((await (await fetch(a.url + '/api/v1/agents')).json()) as { agents: Array<{ agent_id: string; seconds_since_seen: number }> }).agents;
      return l.filter((x) => x.seconds_since_seen < 1).length === 2;
    },
    20_000,
    250,
  );
  t.ok(back, "A's two agents are back at A");
  await count(agents, 10);
  await checkTotals(t, vm, agents);
});

t.test('stall the owner past the report timeout (SIGSTOP), then resume it: totals exact', { skip }, async (t) => {
  const vm = await startVictoria(t);
  const pa = await freePort();
  const pb = await freePort();
  const endpoints = [`http://127.0.0.1:${pa}`, `http://127.0.0.1:${pb}`];
  const a = await aggregator('agg-a', vm, pa);
  await aggregator('agg-b', vm, pb);
  const agents = await Promise.all(idsFor(endpoints, 2, 1).map((id) => agent(id, endpoints)));
  await count(agents, 10);
  a.proc.child.kill('SIGSTOP');
  await count(agents, 30);
  a.proc.child.kill('SIGCONT');
  await count(agents, 10);
  await checkTotals(t, vm, agents);
});

t.test('restart the agents while they are failed over: they stay where they are and replay nothing', { skip }, async (t) => {
  const vm = await startVictoria(t);
  const pa = await freePort();
  const pb = await freePort();
  const endpoints = [`http://127.0.0.1:${pa}`, `http://127.0.0.1:${pb}`];
  const a = await aggregator('agg-a', vm, pa);
  const b = await aggregator('agg-b', vm, pb);
  let agents = await Promise.all(idsFor(endpoints, 2, 0).map((id) => agent(id, endpoints)));
  await count(agents, 10);
  await a.proc.kill9();
  await count(agents, 20);
  await checkTotals(t, vm, agents);
  const sentBefore = new Map(agents.map((x) => [x.id, x.sent]));
  for (const x of agents) await x.proc.stop();
  agents = await Promise.all(agents.map(async (x) => Object.assign(await agent(x.id, endpoints, x.spool), { sent: 0 })));
  for (const x of agents) t.equal(fs.readFileSync(path.join(x.spool, 'endpoint'), 'utf8').trim(), new URL(endpoints[1]!).href, `${x.id} kept its place at B`);
  await count(agents, 10);
  // The pushed counter restarts with the agent: VictoriaMetrics sees a reset per agent restart, and the values after it.
  const want = Object.fromEntries(agents.map((x) => [x.id, x.sent]));
  const got = await eventually(
    async () => {
      const g = Object.fromEntries((await query(vm, 'fo_jobs_total{instance!=""}')).map((r) => [r.metric.instance!, r.value]));
      return agents.every((x) => g[x.id] === x.sent) ? g : undefined;
    },
    40_000,
    250,
  );
  t.same(got, want, 'the restarted agents deliver through B');
  const inc = await scalar(vm, 'sum(increase(fo_jobs_total{instance!=""}[10m]))');
  const counted = [...sentBefore.values()].reduce((s, v) => s + v, 0) + agents.reduce((s, x) => s + x.sent, 0);
  t.equal(inc, counted, `increase() over the run, agent restarts included: ${counted}`);
  const bAgents = ((await (await fetch(b.url + '/api/v1/agents')).json()) as { agents: unknown[] }).agents.length;
  t.equal(bAgents, 2);
});
