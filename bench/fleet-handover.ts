/**
 * The handover window, measured: agents that all rank aggregator A first (B second) count a pushed counter every
 * PUSH_MS; A is then killed (SIGKILL: connections refused) or stalled (SIGSTOP: requests time out), and the bench
 * watches both aggregators' /metrics every 50 ms to see when each pushed value arrives. Per round it reports:
 *   flow    from the failure until the agent's data arrives through B (first value pushed after it seen at B)
 *   delay   the longest a value pushed after the failure took to arrive (the steady-state delay is shown beside)
 *   delayed how many pushes arrived later than the steady state's slowest (held in the agent's spool meanwhile)
 *   back    from A's recovery until every agent reports to A again
 * and at the end the pushes that never arrived (must be 0).
 * Agents run with the defaults (report.timeout, backoff, breaker, health probes) except report.interval (INTERVAL).
 * Run: node dist/bench/fleet-handover.js   (AGENTS=4 ROUNDS=3 KINDS=kill,stall INTERVAL=1s AGENT_ARGS='--report.timeout 5s')
 */
import { freePort, sleep } from '../test/e2e/procs';
import { Agg, Fleet, FleetAgent, idsOwnedBy } from '../test/e2e/fleet-procs';

const AGENTS = Number(process.env.AGENTS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const KINDS = (process.env.KINDS ?? 'kill,stall').split(',') as Array<'kill' | 'stall'>;
const INTERVAL = process.env.INTERVAL ?? '1s';
const PUSH_MS = Number(process.env.PUSH_MS ?? 100);
const AGENT_ARGS = (process.env.AGENT_ARGS ?? '').split(' ').filter(Boolean);
const NAME = 'hd_jobs_total';

interface Push {
  t: number;
  v: number;
}

/** Per agent: pushes not seen yet (in order), and what was seen when and where. */
class Watch {
  readonly pending = new Map<string, Push[]>();
  readonly arrived: Array<{ agent: string; t: number; at: number; via: string }> = [];
  readonly lastAt = new Map<string, Map<string, number>>();

  pushed(agent: string, p: Push): void {
    let q = this.pending.get(agent);
    if (!q) this.pending.set(agent, (q = []));
    q.push(p);
  }

  /** One look at an aggregator's values: pushes up to each value have arrived (through `via`, if first seen). */
  saw(via: string, values: Map<string, number>, now: number): void {
    for (const [agent, v] of values) {
      let m = this.lastAt.get(agent);
      if (!m) this.lastAt.set(agent, (m = new Map()));
      m.set(via, v);
      const q = this.pending.get(agent) ?? [];
      while (q.length > 0 && q[0]!.v <= v) this.arrived.push({ agent, t: q.shift()!.t, at: now, via });
    }
  }
}

async function valuesOf(agg: Agg): Promise<Map<string, number> | undefined> {
  try {
    const text = await (await fetch(agg.url + '/metrics', { signal: AbortSignal.timeout(300) })).text();
    const out = new Map<string, number>();
    for (const m of text.matchAll(new RegExp(`^${NAME}\\{[^}]*instance="([^"]+)"[^}]*\\} (\\S+)`, 'gm'))) out.set(m[1]!, Number(m[2]));
    return out;
  } catch {
    return undefined;
  }
}

const q = (xs: number[], p: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!);
const s = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const fleet = new Fleet();
  const ports = [await freePort(), await freePort()];
  const endpoints = ports.map((p) => `http://127.0.0.1:${p}`);
  let a = await fleet.aggregator('agg-a', { port: ports[0] });
  const b = await fleet.aggregator('agg-b', { port: ports[1] });
  const ids = idsOwnedBy(endpoints, [AGENTS, 0])[0]!;
  const agentArgs = ['--report.interval', INTERVAL, '--collectors.interval', '5s', ...AGENT_ARGS];
  const agents: FleetAgent[] = await Promise.all(ids.map((id) => fleet.agent(id, endpoints, { extra: agentArgs })));
  const watch = new Watch();
  let running = true;
  let watching = true;
  const pushers = agents.map(async (ag) => {
    while (running) {
      const t = Date.now();
      const res = await fetch(ag.push, { method: 'POST', body: `# TYPE ${NAME} counter\n${NAME} 1\n` }).catch(() => undefined);
      if (res?.status === 200) watch.pushed(ag.id, { t, v: ++ag.sent });
      await res?.text();
      await sleep(Math.max(0, PUSH_MS - (Date.now() - t)));
    }
  });
  const watcher = (async () => {
    while (watching) {
      const t = Date.now();
      await Promise.all(
        [a, b].map(async (agg) => {
          const v = await valuesOf(agg);
          if (v) watch.saw(agg.id, v, Date.now());
        }),
      );
      await sleep(Math.max(0, 50 - (Date.now() - t)));
    }
  })();
  const atA = async () => {
    const v = await valuesOf(a);
    return v !== undefined && agents.every((ag) => (v.get(ag.id) ?? -1) >= ag.sent - Math.ceil(3000 / PUSH_MS));
  };

  const rows: Array<{ kind: string; flow: number[]; delay: number; steady: number; delayed: number; back: number }> = [];
  console.log(`${AGENTS} agents owned by A, report.interval ${INTERVAL}${AGENT_ARGS.length ? ' ' + AGENT_ARGS.join(' ') : ''}, a push every ${PUSH_MS} ms per agent`);
  console.log('round  kind   flow through B (s, per agent)        longest delay (s)  steady max (s)  delayed  back at A (s)');
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of KINDS) {
      for (let i = 0; i < 600 && !(await atA()); i++) await sleep(100);
      const t0Steady = Date.now();
      await sleep(3000);
      const steady = watch.arrived.filter((x) => x.t >= t0Steady).map((x) => x.at - x.t);
      const steadyMax = Math.max(...steady);
      const tFail = Date.now();
      if (kind === 'kill') await a.proc.kill9();
      else a.proc.child.kill('SIGSTOP');
      // Until every agent's data flows through B, then two seconds more.
      const flow = new Map<string, number>();
      for (let i = 0; i < 1800 && flow.size < agents.length; i++) {
        for (const x of watch.arrived) if (x.via === b.id && x.t > tFail && !flow.has(x.agent)) flow.set(x.agent, x.at - tFail);
        await sleep(100);
      }
      await sleep(2000);
      const tRecover = Date.now();
      if (kind === 'kill') a = await fleet.aggregator('agg-a', { port: ports[0], dir: a.dir });
      else a.proc.child.kill('SIGCONT');
      let back = NaN;
      for (let i = 0; i < 1200; i++) {
        if (await atA()) {
          back = Date.now() - tRecover;
          break;
        }
        await sleep(100);
      }
      const after = watch.arrived.filter((x) => x.t >= tFail && x.t < tRecover);
      const delays = after.map((x) => x.at - x.t);
      const row = { kind, flow: agents.map((ag) => flow.get(ag.id) ?? NaN), delay: Math.max(...delays), steady: steadyMax, delayed: delays.filter((d) => d > steadyMax).length, back };
      rows.push(row);
      console.log(
        `${String(round).padEnd(6)} ${kind.padEnd(6)} ${row.flow
          .map(s)
          .join(' ')
          .padEnd(36)} ${s(row.delay).padStart(17)}  ${s(row.steady).padStart(14)}  ${String(row.delayed).padStart(7)}  ${s(back).padStart(13)}`,
      );
    }
  }
  running = false;
  await Promise.all(pushers);
  // Every push must arrive: wait for the last ones, then count what never did.
  for (let i = 0; i < 300 && agents.some((ag) => (watch.pending.get(ag.id) ?? []).length > 0); i++) await sleep(100);
  const lost = agents.reduce((n, ag) => n + (watch.pending.get(ag.id) ?? []).length, 0);
  const pushed = agents.reduce((n, ag) => n + ag.sent, 0);
  watching = false;
  await watcher;
  for (const kind of KINDS) {
    const r = rows.filter((x) => x.kind === kind);
    const flows = r.flatMap((x) => x.flow);
    console.log(
      `${kind}: flow through B median ${s(q(flows, 0.5))} s, max ${s(Math.max(...flows))} s; longest delay max ${s(Math.max(...r.map((x) => x.delay)))} s; ` +
        `delayed pushes median ${q(
          r.map((x) => x.delayed),
          0.5,
        )} per round (${agents.length} agents); back at A median ${s(
          q(
            r.map((x) => x.back),
            0.5,
          ),
        )} s`,
    );
  }
  console.log(`pushed ${pushed}, lost ${lost}`);
  await fleet.close();
  if (lost > 0) process.exitCode = 1;
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
