/**
 * The aggregator's events path without HTTP: a request body checked (parseEventsBody) and kept (FleetEvents.add),
 * per event; the largest body the defaults allow; a fleet-wide GET over a full store; and the heap a held event
 * takes against the store's byte estimate (eventBytes), which bounds aggregator.events_max_bytes.
 *
 *   node --expose-gc dist/bench/events.js
 */
import { eventBytes, FleetEvents } from '../agent/aggregator/events-store';
import { parseEventsBody, type WireEvent } from '../agent/wire/events';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const typical = (id: number, t: number): WireEvent => ({
  id,
  timeMs: t,
  kind: id % 2 ? 'anomaly_start' : 'anomaly_end',
  family: 'node_network_receive_bytes_total',
  labels: { device: `eth${id % 4}`, instance: 'web-17' },
  detail: { score: 0.93, value: 123456.5 },
});

function ingestCost(): void {
  const store = new FleetEvents({ perAgent: 1000, maxEvents: 100_000, maxBytes: 1 << 30, maxAgents: 10_000 });
  const bodies: Buffer[] = [];
  for (let a = 0; a < 200; a++) {
    const events = Array.from({ length: 500 }, (_, i) => typical(i + 1, 1_700_000_000_000 + i * 1000));
    bodies.push(Buffer.from(JSON.stringify({ agent_id: `agent-${a}`, epoch: 1, events })));
  }
  const t0 = process.hrtime.bigint();
  for (const b of bodies) {
    const p = parseEventsBody(b);
    if (!p.ok) throw new Error(p.message);
    store.add(p.body);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`ingest: ${(ns / 1000 / 100_000).toFixed(2)} µs per event (200 requests of 500 typical events, ${(bodies[0]!.length / 1024).toFixed(0)} KiB each)`);

  const t1 = process.hrtime.bigint();
  const all = store.query({ limit: 1000 });
  const ms = Number(process.hrtime.bigint() - t1) / 1e6;
  const t2 = process.hrtime.bigint();
  const one = store.query({ agents: ['agent-7'], kinds: ['anomaly_start'], limit: 1000 });
  const ms1 = Number(process.hrtime.bigint() - t2) / 1e6;
  console.log(`GET over ${store.size} events: fleet-wide newest ${all.length} in ${ms.toFixed(1)} ms; one agent and kind (${one.length}) in ${ms1.toFixed(2)} ms`);
}

function worstBody(): void {
  // The most a 1 MiB body (aggregator.events_max_body) can hold under the default limits: long label values.
  const value = 'v'.repeat(4000);
  const events: WireEvent[] = [];
  let size = 0;
  for (let i = 1; size < 1024 * 1024 - 9000; i++) {
    const e = { ...typical(i, i), labels: { a: value, b: value } };
    size += JSON.stringify(e).length + 1;
    events.push(e);
  }
  const body = Buffer.from(JSON.stringify({ agent_id: 'big', epoch: 1, events }));
  const store = new FleetEvents();
  const t0 = process.hrtime.bigint();
  const p = parseEventsBody(body);
  if (!p.ok) throw new Error(p.message);
  store.add(p.body);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`largest body: ${(body.length / 1024).toFixed(0)} KiB, ${events.length} events, checked and kept in ${ms.toFixed(1)} ms of event loop`);
}

function heapPerEvent(): void {
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = new FleetEvents({ perAgent: 1000, maxEvents: 100_000, maxBytes: 1 << 30, maxAgents: 10_000 });
  let estimate = 0;
  for (let a = 0; a < 100; a++) {
    const events = Array.from({ length: 1000 }, (_, i) => typical(i + 1, 1_700_000_000_000 + i * 1000));
    // Through JSON, as received: the strings are the parser's, not shared literals.
    const p = parseEventsBody(Buffer.from(JSON.stringify({ agent_id: `agent-${a}`, epoch: 1, events })));
    if (!p.ok) throw new Error(p.message);
    store.add(p.body);
    for (const e of p.body.events) estimate += eventBytes(e);
  }
  gc();
  const used = process.memoryUsage().heapUsed - before;
  console.log(`heap: ${(used / store.size).toFixed(0)} B per held event, estimate ${(estimate / store.size).toFixed(0)} B (${store.size} events; ratio heap/estimate ${(used / estimate).toFixed(2)})`);
}

ingestCost();
worstBody();
heapPerEvent();
