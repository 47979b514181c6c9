import t from 'tap';
import { Aggregator } from '../../agent/aggregator/server';
import { encodeSketch } from '../../agent/report/reporter';
import { DistValue } from '../../agent/wire/payload';
import { DDSketch, kDefaultRelativeAccuracy } from '../../agent/store/sketch';
import { frame, payload, post, startAggregator, tmpDir } from './helpers';

const metrics = async (url: string) => (await fetch(url + '/metrics')).text();

const defs = {
  families: [{ fid: 1, name: 'req_seconds', type: 'summary' as const, help: 'request time' }],
  series: [{ sid: 7, fid: 1, labels: ['route', '/api'] }],
};

/** What an agent sends for a StatsD timer: cumulative count/sum, its interval's quantiles and sketch. */
function timerDist(sk: DDSketch, cumCount: number, cumSum: number): DistValue {
  const q = sk.count > 0 ? sk.quantiles([0.5, 0.9, 0.99]).flat() : [0.5, NaN, 0.9, NaN, 0.99, NaN];
  return { sid: 7, count: cumCount, sum: cumSum, buckets: null, quantiles: q, sketch: encodeSketch(sk) };
}

function quantileOf(text: string, q: string): number {
  const m = new RegExp(`^req_seconds\\{quantile="${q}",route="/api"\\} (\\S+)$`, 'm').exec(text) ?? new RegExp(`^req_seconds\\{route="/api",quantile="${q}"\\} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no quantile ${q} in\n${text}`);
  return Number(m[1]);
}

const exact = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

t.test('fleet quantiles come from the merged sketches of every agent', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  // Disjoint value sets: a1 is fast (0.1 ms .. 300 ms) and three times as busy, a2 slow (400 ms .. 2 s).
  const a1 = new DDSketch();
  const a2 = new DDSketch();
  const all: number[] = [];
  for (let i = 1; i <= 3000; i++) {
    a1.add(i / 10_000);
    all.push(i / 10_000);
  }
  for (let i = 0; i < 1000; i++) {
    const v = 0.4 + (i * 1.6) / 999;
    a2.add(v);
    all.push(v);
  }
  all.sort((x, y) => x - y);
  for (const [agent, sk] of [
    ['a1', a1],
    ['a2', a2],
  ] as const) {
    const r = await post(agg.url(), frame(payload({ agentId: agent, ...defs, dists: [timerDist(sk, sk.count, sk.sum)] }), 1, 1));
    t.same(r.json, { status: 'applied' });
  }
  const text = await metrics(agg.url());
  t.notMatch(text, /quantile="[^"]*",?\}?[^\n]*instance=|instance="[^"]*",quantile=/, 'one fleet-wide quantile series, not one per agent');
  t.match(text, /^req_seconds_count\{instance="a1",route="\/api"\} 3000 \d+$/m, "each agent's own count, with its timestamp");
  for (const [q, label] of [
    [0.5, '0.5'],
    [0.9, '0.9'],
    [0.99, '0.99'],
  ] as const) {
    const got = quantileOf(text, label);
    const want = exact(all, q);
    t.ok(Math.abs(got - want) <= want * kDefaultRelativeAccuracy, `p${q * 100}: ${got} within 1% of the union's ${want}`);
    for (const sk of [a1, a2]) t.ok(Math.abs(sk.quantile(q) - want) > want * kDefaultRelativeAccuracy, `p${q * 100} differs from a single agent's ${sk.quantile(q)}`);
  }
  t.match(text, /^req_seconds_count\{route="\/api"\} 4000$/m, '_count summed');
  const sum = Number(/^req_seconds_sum\{route="\/api"\} (\S+)$/m.exec(text)![1]);
  t.ok(Math.abs(sum - (a1.sum + a2.sum)) < 1e-6, '_sum summed');
});

t.test('idle and departed agents stop contributing; _count keeps adding; state survives a restart', async (t) => {
  const dir = tmpDir(t);
  let agg: Aggregator = await startAggregator(dir, { sketchMaxAgeMs: 60_000 });
  const fast = new DDSketch();
  for (let i = 0; i < 100; i++) fast.add(0.001);
  const slow = new DDSketch();
  for (let i = 0; i < 100; i++) slow.add(1);
  await post(agg.url(), frame(payload({ agentId: 'a1', ...defs, dists: [timerDist(fast, 100, fast.sum)] }), 1, 1));
  await post(agg.url(), frame(payload({ agentId: 'a2', ...defs, dists: [timerDist(slow, 100, slow.sum)] }), 1, 1));
  let text = await metrics(agg.url());
  t.ok(Math.abs(quantileOf(text, '0.99') - 1) <= 0.01, 'p99 from the slow agent');

  // a2's next interval is idle: it resends the same cumulative count with its previous sketch.
  await post(agg.url(), frame(payload({ agentId: 'a2', dists: [timerDist(slow, 100, slow.sum)] }), 1, 2));
  text = await metrics(agg.url());
  t.ok(Math.abs(quantileOf(text, '0.99') - 0.001) <= 0.00001, 'the idle agent no longer contributes');
  t.match(text, /^req_seconds_count\{route="\/api"\} 200$/m);

  // a1 sends a new interval; a2 becomes busy again.
  await post(agg.url(), frame(payload({ agentId: 'a1', dists: [timerDist(fast, 200, 2 * fast.sum)] }), 1, 2));
  await post(agg.url(), frame(payload({ agentId: 'a2', dists: [timerDist(slow, 200, 2 * slow.sum)] }), 1, 3));
  text = await metrics(agg.url());
  t.match(text, /^req_seconds_count\{route="\/api"\} 400$/m);
  t.ok(Math.abs(quantileOf(text, '0.99') - 1) <= 0.01);
  await agg.stop();

  agg = await startAggregator(dir, { sketchMaxAgeMs: 60_000 });
  text = await metrics(agg.url());
  t.match(text, /^req_seconds_count\{route="\/api"\} 400$/m, 'count restored');
  t.ok(Math.abs(quantileOf(text, '0.5') - 0.001) <= 0.00001 && Math.abs(quantileOf(text, '0.99') - 1) <= 0.01, 'both sketches restored');
  // Both agents go away: past the maximum age nothing contributes (quantiles NaN, as an idle summary).
  agg.merger.expireSketches(Date.now() + 61_000);
  agg.merger.flushStore();
  text = await metrics(agg.url());
  t.match(text, /^req_seconds\{route="\/api",quantile="0.5"\} NaN$/m);
  t.match(text, /^req_seconds_count\{route="\/api"\} 400$/m);
  await agg.stop();
});

t.test('configured quantiles are the ones exposed', async (t) => {
  const agg = await startAggregator(tmpDir(t), { quantiles: [0.25, 0.75] });
  t.teardown(() => agg.stop());
  const sk = new DDSketch();
  for (let i = 1; i <= 100; i++) sk.add(i);
  await post(agg.url(), frame(payload({ ...defs, dists: [timerDist(sk, 100, sk.sum)] }), 1, 1));
  const text = await metrics(agg.url());
  t.ok(Math.abs(quantileOf(text, '0.25') - 25) <= 0.25 + 1e-9);
  t.ok(Math.abs(quantileOf(text, '0.75') - 75) <= 0.75 + 1e-9);
  t.notMatch(text, /^[a-z_]+\{(?![^}]*instance=)[^}]*quantile="0.5"/m, 'the fleet series has only the configured quantiles');
});

t.test('hostile sketches are refused with a 400 and counted; the aggregator keeps serving', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const good = new DDSketch();
  good.add(1);
  const base = good.toJSON();
  const bad: Array<[string, unknown]> = [
    ['not a map', [1, 2, 3]],
    ['bytes', Buffer.from('abc')],
    ['NaN sum', { ...base, s: NaN }],
    ['infinite max', { ...base, max: Infinity }],
    ['accuracy 0', { ...base, a: 0 }],
    ['accuracy 1', { ...base, a: 1 }],
    ['accuracy as a string', { ...base, a: '0.01' }],
    ['too many buckets', { ...base, n: 5000, p: Array.from({ length: 5000 }, (_, i) => [i, 1]) }],
    ['huge index', { ...base, p: [[1e12, 1]] }],
    ['fractional index', { ...base, p: [[1.5, 1]] }],
    ['negative count', { ...base, n: 0, z: 1, p: [[0, -1]] }],
    ['count mismatch', { ...base, n: 1e9 }],
    ['bucket not a pair', { ...base, p: [[0]] }],
    [
      'duplicate index',
      {
        ...base,
        n: 2,
        p: [
          [0, 1],
          [0, 1],
        ],
      },
    ],
    ['buckets not an array', { ...base, p: { 0: 1 } }],
    ['min above max', { ...base, min: 5, max: 1 }],
  ];
  let seq = 1;
  for (const [what, sketch] of bad) {
    const d: DistValue = { sid: 7, count: 1, sum: 1, buckets: null, quantiles: null, sketch };
    const r = await post(agg.url(), frame(payload({ ...defs, dists: [d] }), 1, seq++));
    t.same([r.status, r.json.code], [400, 'OUTRIDER_ERR_AGG_BAD_PAYLOAD'], what);
  }
  const r = await post(agg.url(), frame(payload({ ...defs, dists: [timerDist(good, 1, 1)] }), 1, seq++));
  t.same(r.json, { status: 'applied' }, 'a good sketch still goes through');
  let text = '';
  for (let i = 0; i < 50 && !new RegExp(`result="malformed"\\} ${bad.length}\\n`).test(text); i++) {
    await new Promise((r) => setTimeout(r, 100));
    text = await metrics(agg.url());
  }
  t.match(text, new RegExp(`outrider_aggregator_requests_total\\{result="malformed"\\} ${bad.length}\\n`));
});
