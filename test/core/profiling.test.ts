import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { HttpServer } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import { cgroupMemory } from '../../agent/core/profiling/profiler';
import { mountProfiling, type MountedProfiling } from '../../agent/core/profiling/routes';
import type { ProfilingOptions } from '../../agent/core/profiling/options';
import type { MemoryFacts } from '../../agent/core/profiling/profiler';
import { get, startAgent } from '../helpers/agent';
import { setFlagsFromString } from 'node:v8';

// The hot function must keep its own frames. Inlined into its caller its samples carry the caller's name; and on
// Node 24 the samples taken in its on-stack-replaced loop (V8 swaps a long-running loop to optimised code while it
// runs) land on the caller, processImmediate, in most runs: 2 of 892 samples once named the function.
setFlagsFromString('--no-turbo-inlining');
setFlagsFromString('--no-use-osr');

async function serve(t: { teardown: (fn: () => Promise<void>) => void }, o: Partial<ProfilingOptions> = {}, memory?: () => MemoryFacts) {
  const server = new HttpServer({ name: 'http', listen: '127.0.0.1:0', log: silentLogger() });
  const p = mountProfiling(server, { enabled: true, token: undefined, maxDurationMs: 5000, memoryLimitBytes: 0, ...o }, silentLogger(), memory) as MountedProfiling;
  await server.start();
  t.teardown(async () => {
    p?.close();
    await server.stop(100);
  });
  return { url: server.url(), profiler: p?.profiler };
}

/** Burns CPU in slices (the event loop still answers between them) until `stop` is set. */
function spinTheHotLoopForTheProfile(state: { stop: boolean; x: number }): void {
  const end = Date.now() + 15;
  while (Date.now() < end) state.x = (state.x * 1103515245 + 12345) % 2147483647;
  if (!state.stop) setImmediate(spinTheHotLoopForTheProfile, state);
}

t.test('a CPU profile names the hot function', async (t) => {
  const { url } = await serve(t);
  const state = { stop: false, x: 1 };
  spinTheHotLoopForTheProfile(state);
  const res = await get(`${url}/debug/pprof/profile?seconds=1`);
  state.stop = true;
  t.equal(res.status, 200);
  t.match(res.headers.get('content-disposition'), /\.cpuprofile"$/);
  const profile = JSON.parse(res.text);
  t.ok(Array.isArray(profile.nodes) && Array.isArray(profile.samples), 'a V8 .cpuprofile');
  // The function can sit at more than one place in the call tree (called from the test, from processImmediate, from
  // an optimised caller that inlined the latter): every node of it counts.
  const hot = profile.nodes.filter((n: any) => n.callFrame.functionName === 'spinTheHotLoopForTheProfile');
  t.ok(hot.length > 0, 'the busy function is in the profile');
  // Samples land on leaf frames: those of the builtins the loop calls (Date.now) count as the function's too.
  const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
  const under = new Set<number>();
  const walk = (id: number) => {
    under.add(id);
    for (const c of byId.get(id)?.children ?? []) walk(c);
  };
  for (const h of hot) walk(h.id);
  const onStack = profile.samples.filter((id: number) => under.has(id)).length;
  t.ok(onStack > 10, `and it was on the stack in many samples (${onStack} of ${profile.samples.length})`);
});

t.test('one profile at a time; bad arguments are refused', async (t) => {
  const { url } = await serve(t);
  const first = get(`${url}/debug/pprof/profile?seconds=0.5`);
  await new Promise((r) => setTimeout(r, 50));
  const second = await get(`${url}/debug/pprof/profile?seconds=0.5`);
  t.equal(second.status, 409);
  t.match(JSON.parse(second.text).code, 'OUTRIDER_ERR_PROFILING_BUSY');
  t.equal((await first).status, 200);
  t.equal((await get(`${url}/debug/pprof/profile?seconds=abc`)).status, 400);
});

t.test('a heap snapshot that would not fit is refused and the process goes on', async (t) => {
  const { url } = await serve(t, {}, () => ({ usageBytes: 50 * 1048576, limitBytes: 60 * 1048576, limitSource: 'cgroup' }));
  const res = await get(`${url}/debug/pprof/heap`);
  t.equal(res.status, 503);
  const body = JSON.parse(res.text);
  t.equal(body.code, 'OUTRIDER_ERR_PROFILING_HEAP_LIMIT');
  t.match(body.error, /twice the used heap .* cgroup memory limit of 60\.0 MiB/);
  const summary = await get(`${url}/debug/pprof/summary`);
  t.equal(summary.status, 200, 'still serving');
  const s = JSON.parse(summary.text);
  t.equal(s.snapshot.allowed, false);
  t.ok(s.heap.used_bytes > 0 && s.event_loop.delay_ms.max >= 0);
});

t.test('a heap snapshot that fits is streamed', async (t) => {
  const { url } = await serve(t, {}, () => ({ usageBytes: 0, limitBytes: 64 * 1024 * 1048576, limitSource: 'configured' }));
  const res = await get(`${url}/debug/pprof/heap`);
  t.equal(res.status, 200);
  const snap = JSON.parse(res.text);
  t.ok(snap.snapshot && Array.isArray(snap.nodes), 'a .heapsnapshot document');
});

t.test('a token, when set, is required (and a loopback peer alone is not enough)', async (t) => {
  const { url } = await serve(t, { token: 's3cret' });
  t.equal((await get(`${url}/debug/pprof/summary`)).status, 401);
  t.equal((await get(`${url}/debug/pprof/summary`, { Authorization: 'Bearer wrong' })).status, 401);
  t.equal((await get(`${url}/debug/pprof/summary`, { Authorization: 'Bearer s3cret' })).status, 200);
});

t.test('the agent: off by default (404), on with profiling.enabled', async (t) => {
  const off = await startAgent({ 'collectors.interval': 60_000 });
  t.teardown(() => off.stop());
  t.equal((await get(`${off.url}/debug/pprof/summary`)).status, 404);
  const dir = mkdtempSync(join(tmpdir(), 'outrider-prof-'));
  writeFileSync(join(dir, 'token'), 'tok\n');
  const on = await startAgent({ 'collectors.interval': 60_000, 'profiling.enabled': true, 'profiling.token_file': join(dir, 'token') });
  t.teardown(() => on.stop());
  t.equal((await get(`${on.url}/debug/pprof/summary`)).status, 401);
  t.equal((await get(`${on.url}/debug/pprof/summary`, { Authorization: 'Bearer tok' })).status, 200);
});

t.test('the cgroup limit: the lowest memory.max on the path to the root', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-cg-'));
  mkdirSync(join(dir, 'proc/self'), { recursive: true });
  writeFileSync(join(dir, 'proc/self/cgroup'), '0::/kubepods/pod1/c1\n');
  mkdirSync(join(dir, 'cg/kubepods/pod1/c1'), { recursive: true });
  writeFileSync(join(dir, 'cg/kubepods/pod1/c1/memory.max'), 'max\n');
  writeFileSync(join(dir, 'cg/kubepods/pod1/c1/memory.current'), '1000\n');
  writeFileSync(join(dir, 'cg/kubepods/pod1/memory.max'), '4096\n');
  writeFileSync(join(dir, 'cg/kubepods/memory.max'), '8192\n');
  t.same(cgroupMemory(join(dir, 'proc'), join(dir, 'cg')), { limit: 4096, usage: 1000 });
  t.same(cgroupMemory(join(dir, 'nothing'), join(dir, 'cg')), {});
});

t.test('without a token only loopback peers are served', async (t) => {
  const { allowed } = await import('../../agent/core/profiling/routes');
  const req = (remoteAddress: string) => ({ socket: { remoteAddress }, headers: {} }) as any;
  t.equal(allowed(req('127.0.0.1'), undefined), true);
  t.equal(allowed(req('::1'), undefined), true);
  t.equal(allowed(req('::ffff:127.0.0.1'), undefined), true);
  t.equal(allowed(req('10.0.0.7'), undefined), false);
  t.equal(allowed(req('::ffff:10.0.0.7'), undefined), false);
});

t.test('the aggregator: /debug/pprof/ when profiling is enabled, none otherwise', async (t) => {
  const { startAggregator } = await import('../aggregator/helpers');
  const on = await startAggregator(mkdtempSync(join(tmpdir(), 'outrider-agg-prof-')), { profiling: { enabled: true, token: undefined, maxDurationMs: 5000, memoryLimitBytes: 0 } });
  t.teardown(() => on.stop());
  const s = await get(`${on.url()}/debug/pprof/summary`);
  t.equal(s.status, 200);
  t.ok(JSON.parse(s.text).heap.used_bytes > 0);
  const off = await startAggregator(mkdtempSync(join(tmpdir(), 'outrider-agg-prof-')));
  t.teardown(() => off.stop());
  t.equal((await get(`${off.url()}/debug/pprof/summary`)).status, 404);
});
