/**
 * An agent's series definitions that no batch names for aggregator.definition_idle are forgotten, so an epoch whose
 * series come and go (each return a new id) does not fill the interning tables until every batch is refused.
 */
import t from 'tap';
import { Ingest } from '../../agent/aggregator/ingest';
import { Merger } from '../../agent/aggregator/merge';
import { StateStore } from '../../agent/aggregator/state';
import { Store } from '../../agent/store/store';
import { compressSync } from '../../agent/wire/codec';
import { Codec, encodeFrame, FrameKind, splitFrames } from '../../agent/wire/frame';
import { BatchPayload, DEFAULT_PAYLOAD_LIMITS, encodePayload } from '../../agent/wire/payload';
import { payload, tmpDir } from './helpers';

const fam = { fid: 1, name: 'jobs_total', type: 'counter' as const, help: '' };

function setup(t: { teardown(fn: () => void): void }, maxSeries: number, idleMs: number) {
  const state = new StateStore(tmpDir(t), 1);
  state.open();
  t.teardown(() => state.close());
  const store = new Store({ staleAfterMs: 3600_000, maxSeries: 10_000 });
  const merger = new Merger(store);
  const nop = { inc: () => undefined };
  let forgotten = 0;
  const clock = { ms: 1_000_000 };
  const ingest = new Ingest(state, merger, {
    maxDecompressedBytes: 1 << 20,
    maxCompressionRatio: 256,
    maxAgents: 10,
    maxSeries,
    maxSequenceJump: 1000,
    maxEpochAheadMs: 86_400_000,
    limits: DEFAULT_PAYLOAD_LIMITS,
    storeWrites: 'immediate',
    samples: nop,
    skipped: nop,
    refusedSamples: nop,
    definitionIdleMs: idleMs,
    definitionsForgotten: { inc: (n) => (forgotten += n) },
    nowMs: () => clock.ms,
  });
  const send = (p: BatchPayload, seq: number, kind = FrameKind.batch) => {
    const f = splitFrames(encodeFrame(kind, Codec.none, 1, seq, compressSync(Codec.none, encodePayload(p))));
    if (!f.ok) throw new Error(f.message);
    return ingest.apply(f.frames[0]!);
  };
  const total = () => {
    merger.flushStore();
    let sum = 0;
    for (const s of store.getFamily('jobs_total')?.series.values() ?? []) if (s.labels.instance === undefined) sum += s.value;
    return sum;
  };
  return { send, clock, forgotten: () => forgotten, total, store };
}

t.test('definitions of series an agent no longer names are forgotten; the ones it names stay', async (t) => {
  const { send, clock, forgotten } = setup(t, 10, 60_000);
  const live = { sid: 1000, fid: 1, labels: ['k', 'live'] };
  let seq = 0;
  const outcomes: number[] = [];
  for (let round = 0; round < 40; round++) {
    // Each round one series that lives for that round only (a new id, as an agent gives a series that came back).
    const gone = { sid: round + 1, fid: 1, labels: ['k', `pod-${round}`] };
    const r = send(payload({ families: [fam], series: round === 0 ? [live, gone] : [gone], scalars: [1000, round, round + 1, 1] }), ++seq);
    outcomes.push(r.ok ? 200 : r.http);
    clock.ms += 10_000;
  }
  t.same(
    outcomes.filter((h) => h !== 200),
    [],
    'forty rounds of new series through tables that hold ten: none refused',
  );
  t.ok(forgotten() >= 25, `idle definitions were forgotten (${forgotten()})`);
  const r = send(payload({ scalars: [1000, 99] }), ++seq);
  t.equal(r.ok, true, 'the series named every round was never forgotten');
});

t.test('without traffic naming them, definitions are forgotten and a series named again is defined again by the 409', async (t) => {
  const { send, clock, total } = setup(t, 100, 60_000);
  const s = { sid: 7, fid: 1, labels: ['k', 'a'] };
  t.equal(send(payload({ families: [fam], series: [s], scalars: [7, 5] }), 1).ok, true);
  t.equal(total(), 5);
  clock.ms += 61_000;
  t.equal(send(payload({ scalars: [] }), 2).ok, true, 'a batch that names nothing of it');
  clock.ms += 61_000;
  const r = send(payload({ scalars: [7, 8] }), 3);
  t.equal(r.ok, false);
  if (!r.ok) {
    t.equal(r.http, 409, 'unknown series: the agent is asked for the definition');
    t.same(r.extra.missing, [7]);
  }
  t.equal(send(payload({ families: [fam], series: [s] }), 3, FrameKind.defs).ok, true, 'the definitions frame the agent answers with');
  t.equal(send(payload({ scalars: [7, 8] }), 3).ok, true, 'the batch then applies');
  t.equal(total(), 8, 'counted once: the series state outlived its definition, so only the increase of 3 was added');
});

t.test('at the bound, definitions are refused while every one is in use', async (t) => {
  const { send, clock } = setup(t, 3, 60_000);
  const series = [1, 2, 3].map((sid) => ({ sid, fid: 1, labels: ['k', String(sid)] }));
  t.equal(send(payload({ families: [fam], series, scalars: [1, 1, 2, 1, 3, 1] }), 1).ok, true);
  clock.ms += 5_000;
  const r = send(payload({ families: [fam], series: [{ sid: 4, fid: 1, labels: ['k', '4'] }], scalars: [1, 2, 2, 2, 3, 2, 4, 1] }), 2);
  t.equal(r.ok ? 200 : r.http, 429, 'nothing idle to forget: the bound holds');
});
