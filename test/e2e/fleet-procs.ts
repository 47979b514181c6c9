/**
 * A fleet of real `outrider` processes on loopback for the fleet tests and benches: aggregators forwarding to an
 * engine, agents listing several aggregators (ranked by rendezvous hashing of their ids) with a push listener, and
 * the counting that the totals are checked against. Everything started is killed and removed by `close()`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rendezvousOrder } from '../../agent/report/route';
import { freePort, Proc, sleep, start } from './procs';

export interface Agg {
  id: string;
  proc: Proc;
  url: string;
  port: number;
  dir: string;
}

export interface FleetAgent {
  id: string;
  proc: Proc;
  push: string;
  spool: string;
  /** What this agent counted (pushes answered 200 with ?wait=durable). */
  sent: number;
}

/** Agent settings fast enough for a test: flush every 100 ms, 1 s request timeout, short retry backoff. */
export const fastAgent = ['--report.interval', '100ms', '--report.timeout', '1s', '--report.retry-initial-backoff', '20ms', '--report.retry-max-backoff', '200ms'];

export class Fleet {
  readonly procs: Proc[] = [];
  readonly #dirs: string[] = [];

  tmp(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-fleet-'));
    this.#dirs.push(d);
    return d;
  }

  /** An aggregator on `port` (a free one by default) with its state in `dir`, forwarding to `remoteWrite` when given. */
  async aggregator(id: string, opts: { remoteWrite?: string; port?: number; dir?: string; extra?: string[] } = {}): Promise<Agg> {
    const port = opts.port ?? (await freePort());
    const dir = opts.dir ?? this.tmp();
    const args = ['aggregator', '--listen', `127.0.0.1:${port}`, '--state-dir', dir, '--aggregator.id', id, '--aggregator.forward-interval', '200ms', ...(opts.extra ?? [])];
    if (opts.remoteWrite) args.push('--remote-write', opts.remoteWrite);
    const proc = start(args);
    this.procs.push(proc);
    await proc.waitFor(/aggregator is ready/);
    return { id, proc, url: `http://127.0.0.1:${port}`, port, dir };
  }

  /** An agent reporting to `endpoints` (in the order given; it ranks them itself) with a push listener. */
  async agent(id: string, endpoints: string[], opts: { spool?: string; extra?: string[] } = {}): Promise<FleetAgent> {
    const spool = opts.spool ?? this.tmp();
    const args = ['agent', '--listen', '127.0.0.1:0', '--spool-dir', spool, '--agent-id', id, '--push.listen', '127.0.0.1:0', ...(opts.extra ?? fastAgent)];
    for (const e of endpoints) args.push('--report-to', e);
    const proc = start(args);
    this.procs.push(proc);
    const push = String((await proc.waitFor(/Push listener is ready/, 30_000)).url);
    return { id, proc, push, spool, sent: 0 };
  }

  async close(): Promise<void> {
    for (const p of this.procs) await p.kill9();
    for (const d of this.#dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** `perOwner[i]` agent ids whose owner (first in their rendezvous ranking) is endpoint i. */
export function idsOwnedBy(endpoints: string[], perOwner: number[], prefix = 'host-'): string[][] {
  const out: string[][] = perOwner.map(() => []);
  // Ranked as the agent ranks them: by the endpoint URLs as its configuration normalises them.
  const urls = endpoints.map((e) => new URL(e).href);
  for (let i = 0; out.some((ids, k) => ids.length < perOwner[k]!); i++) {
    if (i > 100_000) throw new Error('no agent ids for that split');
    const id = `${prefix}${i}`;
    const owner = rendezvousOrder(id, urls)[0]!;
    if (out[owner]!.length < perOwner[owner]!) out[owner]!.push(id);
  }
  return out;
}

/** Where an agent goes when `endpoint` is down: the next in its ranking. */
export function secondChoice(id: string, endpoints: string[], down: number): number {
  const order = rendezvousOrder(
    id,
    endpoints.map((e) => new URL(e).href),
  ).filter((i) => i !== down);
  return order[0]!;
}

/** Pushes `by` to counter `name` of an agent once; counted when the agent answers 200 (durable in its spool). */
export async function pushOnce(ag: FleetAgent, name: string, by: number): Promise<boolean> {
  const res = await fetch(ag.push + '?wait=durable', { method: 'POST', body: `# TYPE ${name} counter\n${name} ${by}\n` });
  await res.text();
  if (res.status !== 200) return false;
  ag.sent += by;
  return true;
}

/** Each agent counts `n` more jobs (3 each) on `name`, one push at a time, `gapMs` apart. */
export async function count(agents: FleetAgent[], n: number, name = 'fo_jobs_total', gapMs = 20): Promise<void> {
  await Promise.all(
    agents.map(async (ag) => {
      for (let i = 0; i < n; i++) {
        await pushOnce(ag, name, 3);
        await sleep(gapMs);
      }
    }),
  );
}

/** An aggregator's `/api/v1/agents`, by agent id. */
export async function agentsOf(url: string): Promise<Map<string, { seconds_since_seen: number; applied_batches: number }>> {
  const j = (await (await fetch(url + '/api/v1/agents')).json()) as { agents: Array<{ agent_id: string; seconds_since_seen: number; applied_batches: number }> };
  return new Map(j.agents.map((a) => [a.agent_id, a]));
}
