import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { StateStore } from '../../agent/aggregator/state';
import { AgentState, labelsObject, SeriesState, seriesKey, stateKey, WINDOW } from '../../agent/aggregator/state-model';
import { seqRuns } from '../../agent/aggregator/state-snapshot';
import { labelKey } from '../../agent/store/store';
import { tmpDir } from './helpers';

const agentState = (id: string): AgentState => ({
  id,
  epoch: 7,
  high: 0,
  recent: [],
  lastSeenMs: 0,
  lastSentMs: 0,
  version: 'v',
  backlogBytes: 0,
  backlogBatches: 0,
  droppedBatches: 0,
  appliedBatches: 0,
});

/** A store with `n` counters over a few agents, a histogram and a sketch-bearing summary, all logged and committed. */
async function filled(dir: string, n: number, sliceWeight: number): Promise<{ s: StateStore; agents: AgentState[]; seq: Map<string, number> }> {
  const s = new StateStore(dir, 1, { snapshotSliceWeight: sliceWeight });
  s.open();
  const agents = ['a', 'b', 'c'].map(agentState);
  const seq = new Map<string, number>();
  for (const [ai, a] of agents.entries()) {
    const full: Array<[string, SeriesState]> = [];
    for (let i = ai; i < n; i += agents.length) {
      const st: SeriesState = { id: s.nextId(), agent: a.id, family: 'x_total', type: 'counter', help: 'X.', labels: ['k', String(i)], epoch: 7, seq: 1, last: i, acc: i };
      full.push([stateKey(a.id, st.family, st.labels), st]);
    }
    if (ai === 0) {
      const h: SeriesState = {
        id: s.nextId(),
        agent: 'a',
        family: 'lat',
        type: 'histogram',
        help: '',
        labels: [],
        epoch: 7,
        seq: 1,
        last: { count: 2, sum: 3, buckets: [1, 1, Infinity, 2] },
        acc: { count: 2, sum: 3, buckets: [1, 1, Infinity, 2] },
      };
      const sketch = { a: 0.01, n: 1, s: 2, min: 2, max: 2, z: 0, p: [[35, 1]] as Array<[number, number]>, m: [] };
      const q: SeriesState = {
        id: s.nextId(),
        agent: 'a',
        family: 'q',
        type: 'summary',
        help: '',
        labels: ['x', 'y'],
        epoch: 7,
        seq: 1,
        last: { count: 1, sum: 2, buckets: null },
        acc: { count: 1, sum: 2, buckets: null },
        quantiles: [0.5, 2],
        sketch,
        sketchMs: 9,
      };
      full.push([stateKey('a', 'lat', []), h], [stateKey('a', 'q', ['x', 'y']), q]);
    }
    for (const [k, st] of full) s.add(k, st);
    s.record(a, 1, 7, full, []);
    seq.set(a.id, 1);
  }
  await s.commit();
  return { s, agents, seq };
}

/** Everything a store holds, comparable with t.same. */
function contents(s: StateStore): { series: Record<string, SeriesState>; agents: Record<string, unknown> } {
  const series: Record<string, SeriesState> = {};
  for (const [k, st] of s.series) series[k] = { ...st };
  const agents: Record<string, unknown> = {};
  for (const [id, a] of s.agents) {
    const applied = [...(s.recentSets.get(id) ?? [])].filter((q) => q > a.high - WINDOW).sort((x, y) => x - y);
    agents[id] = { ...a, recent: applied };
  }
  return { series, agents };
}

const reopened = (dir: string) => {
  const s = new StateStore(dir, 1);
  s.open();
  return s;
};

const logRemoved = async (dir: string, name: string) => {
  for (let i = 0; i < 200 && fs.existsSync(path.join(dir, name)); i++) await new Promise((r) => setTimeout(r, 5));
  return !fs.existsSync(path.join(dir, name));
};

t.test('a snapshot is written over many turns of the event loop, each a bounded slice, while batches keep coming', async (t) => {
  const dir = tmpDir(t);
  const n = 8000;
  const weight = 400;
  const { s, agents, seq } = await filled(dir, n, weight);
  // Batches recorded between the slices, none committed here. Agent a's batches all update its first series, which
  // goes into the first slice; its agent state goes in last.
  const a = agents[0]!;
  const first = [...s.series.values()][0]!;
  let turns = 0;
  let writing = true;
  const tick = () => {
    if (!writing) return;
    turns++;
    const q = seq.get(a.id)! + 1;
    seq.set(a.id, q);
    first.seq = q;
    first.last = (first.last as number) + 1;
    first.acc = (first.acc as number) + 1;
    const fresh: SeriesState = { id: s.nextId(), agent: a.id, family: 'new_total', type: 'counter', help: '', labels: ['t', String(turns)], epoch: 7, seq: q, last: 1, acc: 1 };
    const key = stateKey(a.id, fresh.family, fresh.labels);
    s.add(key, fresh);
    s.record(a, q, 7, [[key, fresh]], [first]);
    setImmediate(tick);
  };
  setImmediate(tick);
  const stats = await s.snapshot();
  // A crash the moment the snapshot is in place: whatever it holds of agent a's batches, their entries are durable.
  const copy = tmpDir(t);
  fs.cpSync(dir, copy, { recursive: true });
  writing = false;
  t.ok(stats, 'a snapshot was written');
  t.ok(stats!.slices >= n / weight, `${stats!.slices} slices for ${n} series at ${weight} a slice`);
  t.ok(turns >= n / weight, `the event loop turned ${turns} times while it was written`);
  t.ok(stats!.series >= n, 'every series in it');
  t.ok(await logRemoved(dir, 'log-1.log'), 'the log it covers is removed');
  const crashed = reopened(copy);
  const high = crashed.agents.get('a')!.high;
  t.ok(high > 1, `batches up to ${high} in the crash copy`);
  t.equal(crashed.series.get(stateKey('a', first.family, first.labels))!.seq, high, 'every batch it counts as applied is in its series');
  t.notOk(crashed.isApplied('a', 7, high + 1));
  t.equal(crashed.series.get(stateKey('a', 'new_total', ['t', String(high - 1)]))?.seq, high, 'and in the series it created');
  await crashed.close();
  // Committed and crashed: the snapshot and the log after it give back exactly the state in memory.
  await s.commit();
  const want = contents(s);
  const s2 = reopened(dir);
  t.same(contents(s2), want);
  for (const [id, q] of seq) t.ok(s2.isApplied(id, 7, q) && !s2.isApplied(id, 7, q + 1), `agent ${id}: applied up to ${q}`);
  await s2.close();
  await s.close();
});

t.test('a crash while a snapshot is written: the previous snapshot and both logs give back what was committed', async (t) => {
  const dir = tmpDir(t);
  const { s, agents, seq } = await filled(dir, 6000, 200);
  await s.snapshot(); // snapshot 1 in place
  const a = agents[1]!;
  const st = [...s.series.values()].find((x) => x.agent === a.id)!;
  const record = () => {
    const q = seq.get(a.id)! + 1;
    seq.set(a.id, q);
    st.seq = q;
    st.acc = (st.acc as number) + 10;
    st.last = (st.last as number) + 10;
    s.record(a, q, 7, [], [st]);
  };
  record();
  await s.commit(); // in log-2, which the next snapshot covers
  const copy = tmpDir(t);
  let want: ReturnType<typeof contents> | undefined;
  const running = s.snapshot();
  let turns = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (++turns === 5) {
        record();
        void s.commit().then(() => {
          // A crash copy of the directory halfway through: snapshot.tmp half written, logs 2 and 3 beside snapshot 1.
          want = contents(s);
          fs.cpSync(dir, copy, { recursive: true });
          resolve();
        });
        return;
      }
      setImmediate(tick);
    };
    setImmediate(tick);
  });
  await running;
  t.ok(fs.existsSync(path.join(copy, 'snapshot.tmp')), 'the crash copy was taken while the snapshot was written');
  t.same(
    fs
      .readdirSync(copy)
      .filter((f) => f.startsWith('log-'))
      .sort(),
    ['log-2.log', 'log-3.log'],
    'the log the snapshot covers and the one after it',
  );
  const s2 = reopened(copy);
  t.same(contents(s2), want);
  // After that open, the next snapshot folds both logs in.
  t.ok(await s2.snapshot());
  t.ok((await logRemoved(copy, 'log-2.log')) && (await logRemoved(copy, 'log-3.log')), 'both logs removed');
  t.notOk(fs.existsSync(path.join(copy, 'snapshot.tmp')), 'no partial snapshot left');
  t.same(contents(reopened(copy)), want);
  await s2.close();
  await s.close();
});

t.test('nothing changed, nothing written; a damaged snapshot refuses to load', async (t) => {
  const dir = tmpDir(t);
  const { s } = await filled(dir, 3000, 500);
  t.ok(await s.snapshot());
  t.equal(await s.snapshot(), undefined, 'a second snapshot with no change in between writes nothing');
  await s.close();
  const file = path.join(dir, 'snapshot');
  const good = fs.readFileSync(file);
  const flipped = Buffer.from(good);
  flipped[Math.floor(good.length / 2)]! ^= 0x40;
  fs.writeFileSync(file, flipped);
  t.throws(() => reopened(dir), /checksum/, 'a flipped byte');
  fs.writeFileSync(file, good.subarray(0, good.length - 20));
  t.throws(() => reopened(dir), /ends/, 'a truncated file');
  fs.writeFileSync(file, good);
  t.equal(reopened(dir).series.size, 3002);
});

t.test('applied sequences are stored as runs above high - WINDOW and come back the same', async (t) => {
  t.same(seqRuns(12, [12, 1, 2, 3, 4, 5, 7, 9, 10, 11, 3]), [1, 5, 7, 7, 9, 12]);
  t.same(seqRuns(WINDOW + 10, [1, 2, 11, 12, WINDOW + 10]), [11, 12, WINDOW + 10, WINDOW + 10], 'anything at or below high - WINDOW is left out');
  const dir = tmpDir(t);
  const s = new StateStore(dir, 1);
  s.open();
  const a = agentState('w');
  const gaps = new Set([5, 6, 100, WINDOW + 200]);
  const n = WINDOW + 300;
  for (let q = 1; q <= n; q++) if (!gaps.has(q)) s.record(a, q, 7, [], []);
  await s.commit();
  await s.snapshot();
  const s2 = reopened(dir);
  for (const q of [1, 5, 100, 301, WINDOW + 199, WINDOW + 200, WINDOW + 201, n, n + 1]) t.equal(s2.isApplied('w', 7, q), s.isApplied('w', 7, q), `seq ${q}`);
  await s.close();
  await s2.close();
});

t.test('a series key from sorted labels is the same as the canonical one built through an object', async (t) => {
  const name = fc.constantFrom('a', 'b', 'le', '__name__', '__proto__', '1', '10', '2', '', 'a\u0000', 'é', 'Z', 'constructor');
  const labels = fc.array(fc.tuple(name, fc.string({ maxLength: 4 })), { maxLength: 6 }).chain((pairs) =>
    fc.boolean().map((sort) => {
      const p = sort ? [...pairs].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)) : pairs;
      return p.flat();
    }),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 5 }), labels, (family, flat) => seriesKey(family, flat) === family + '\u0000' + labelKey(labelsObject(flat))),
    { numRuns: 2000 },
  );
  t.pass('2000 label sets');
});
