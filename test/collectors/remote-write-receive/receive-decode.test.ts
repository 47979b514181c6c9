/**
 * The receiver's decoders (receive-decode.ts: label sets cached by their bytes, the latest sample read straight from
 * the bytes) against the full decoders of decode.ts: on valid, mutated and random bodies, 1.0 (with metadata) and
 * 2.0, with one cache shared by every input so that sets found again come from earlier bodies, both refuse the same
 * bodies and agree on every stored name, label set, latest sample, sample count, type, help and the counted native
 * histograms and exemplars. Then the cache itself: a repeated series is parsed once, a hash collision is told apart
 * by its bytes, labels split around a sample are parsed (not cached), the cache is bounded; and the synchronous
 * snappy (the addon's when loaded) refuses and returns what the TS twin does.
 */
import fc from 'fast-check';
import t from 'tap';
import { decodeRequestV2, decodeWriteRequestV1, DecodedSeries, RemoteWriteDecodeError } from '../../../agent/collectors/remote-write-receive/decode';
import { HASH_SEED, hashRange } from '../../../agent/formats/byte-hash';
import { LabelCache, labelsOf, MAX_KEY } from '../../../agent/collectors/remote-write-receive/label-cache';
import { Received, receiveV1, receiveV2 } from '../../../agent/collectors/remote-write-receive/receive-decode';
import { isOutriderError } from '../../../agent/core/errors';
import { nativeBinding } from '../../../agent/native/loader';
import { snappyCompressTs, snappyUncompress, snappyUncompressTs } from '../../../agent/native/snappy';
import { encodeWriteRequest, RwSeries } from '../../../agent/report/remote-write/protobuf';
import { encodeRequestV2 } from '../../../agent/report/remote-write/protobuf-v2';
import { RUNS } from '../../helpers/fuzz';

interface Row {
  name: string | undefined;
  labels: string;
  value: number;
  time: number;
  stale: number;
  count: number;
  type: string | undefined;
  help: string | undefined;
}
interface Summary {
  rows: Row[];
  histograms: number;
  exemplars: number;
}

function filtered(pairs: Array<[string, string]>): { name: string | undefined; labels: string } {
  let name: string | undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (k === '__name__') name = v;
    else if (!k.startsWith('__') && v !== '') labels[k] = v;
  }
  return { name, labels: JSON.stringify(Object.entries(labels)) };
}

function fromReference(got: DecodedSeries[]): Summary {
  const out: Summary = { rows: [], histograms: 0, exemplars: 0 };
  for (const s of got) {
    out.histograms += s.histograms;
    out.exemplars += s.exemplars;
    if (s.samples.length === 0) continue;
    let last = s.samples[0]!;
    for (const x of s.samples) if (x[1] >= last[1]) last = x;
    out.rows.push({ ...filtered(s.labels), value: last[0], time: last[1], stale: last[2], count: s.samples.length, type: s.type, help: s.help });
  }
  return out;
}

function fromReceived(got: Received): Summary {
  const rows = got.series.map((s, i) => ({
    name: s.name,
    labels: JSON.stringify(Object.entries(s.labels)),
    value: got.values[i]!,
    time: got.times[i]!,
    stale: got.stale[i]!,
    count: got.samples[i]!,
    type: got.types[i],
    help: got.helps[i],
  }));
  return { rows, histograms: got.histograms, exemplars: got.exemplars };
}

function attempt<T>(fn: () => T): T | 'refused' {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RemoteWriteDecodeError) return 'refused';
    throw err;
  }
}

const caches = { v1: new LabelCache(1000), v2: new LabelCache(1000) };

function agree(raw: Buffer, v2: boolean): void {
  const want = attempt(() => fromReference(v2 ? decodeRequestV2(raw) : decodeWriteRequestV1(raw)));
  const got = attempt(() => fromReceived(v2 ? receiveV2(raw, caches.v2) : receiveV1(raw, caches.v1)));
  const a = JSON.stringify(want, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  const b = JSON.stringify(got, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  if (a !== b) throw new Error(`${v2 ? '2.0' : '1.0'} body ${raw.toString('hex')}: receiver ${b}, reference ${a}`);
  if (want !== 'refused' && got !== 'refused') {
    for (let i = 0; i < want.rows.length; i++) if (!Object.is(want.rows[i]!.value, got.rows[i]!.value)) throw new Error(`value ${i}: ${got.rows[i]!.value} for ${want.rows[i]!.value}`);
  }
}

/** A 1.0 MetricMetadata field: type, family name, help. */
function metadata(type: number, name: string, help: string): Buffer {
  const n = Buffer.from(name);
  const h = Buffer.from(help);
  const body = Buffer.concat([Buffer.from([0x08, type, 0x12, n.length]), n, Buffer.from([0x22, h.length]), h]);
  return Buffer.concat([Buffer.from([0x1a, body.length]), body]);
}

// Few distinct names and values, so that label sets recur across inputs and come from the cache.
const name = fc.constantFrom('__name__', 'job', 'instance', '__meta_x', 'a', 'é');
const value = fc.constantFrom('up', 'node', '', 'x_total', 'temp', 'ü');
const series: fc.Arbitrary<RwSeries> = fc.record(
  {
    labels: fc.array(fc.tuple(name, value), { maxLength: 4 }),
    samples: fc.array(fc.tuple(fc.oneof(fc.double(), fc.constantFrom(NaN, -0)), fc.constantFrom(0, 1000, 2000, 2 ** 53 - 1)), { maxLength: 3 }),
    meta: fc.option(fc.record({ type: fc.constantFrom('counter' as const, 'gauge' as const, 'summary' as const), help: value }), { nil: undefined }),
    stale: fc.option(fc.constant(true), { nil: undefined }),
  },
  { requiredKeys: ['labels', 'samples'] },
);
const meta = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), value, value), { maxLength: 2 });
const edit = fc.record({ at: fc.nat(), byte: fc.nat(255) });

function body(ss: RwSeries[], v2: boolean, md: Array<[number, string, string]>): Buffer {
  if (v2) return encodeRequestV2(ss);
  return Buffer.concat([encodeWriteRequest(ss), ...md.map(([ty, n, h]) => metadata(ty, n, h))]);
}

t.test('the receiver decodes valid, mutated and random bodies as the full decoders do, 1.0 and 2.0', async (t) => {
  const input = fc.oneof(
    fc.tuple(fc.array(series, { maxLength: 5 }), fc.boolean(), meta).map(([ss, v2, md]) => ({ raw: body(ss, v2, md), v2 })),
    fc.tuple(fc.array(series, { maxLength: 4 }), fc.boolean(), meta, fc.array(edit, { minLength: 1, maxLength: 3 }), fc.nat()).map(([ss, v2, md, edits, cut]) => {
      const raw = Buffer.from(body(ss, v2, md));
      for (const e of edits) if (raw.length) raw[e.at % raw.length] = e.byte;
      return { raw: cut % 3 === 0 ? raw.subarray(0, cut % (raw.length + 1)) : raw, v2 };
    }),
    fc.tuple(fc.uint8Array({ maxLength: 120 }), fc.boolean()).map(([b, v2]) => ({ raw: Buffer.from(b), v2 })),
  );
  let n = 0;
  fc.assert(
    fc.property(input, ({ raw, v2 }) => {
      agree(raw, v2);
      n++;
    }),
    { numRuns: RUNS * 3 },
  );
  t.ok(caches.v1.size > 0 && caches.v2.size > 0, `${n} bodies; label sets cached: ${caches.v1.size} (1.0), ${caches.v2.size} (2.0)`);
});

const up: RwSeries = {
  labels: [
    ['__name__', 'up'],
    ['job', 'node'],
  ],
  samples: [
    [1, 2000],
    [0, 1000],
  ],
};

t.test('a repeated series is parsed once: the next request finds its label set by its bytes', async (t) => {
  for (const v2 of [false, true]) {
    const cache = new LabelCache(10);
    const decode = (ss: RwSeries[]) => (v2 ? receiveV2 : receiveV1)(v2 ? encodeRequestV2(ss) : encodeWriteRequest(ss), cache);
    const first = decode([up]);
    t.same(first.series[0]!.labels, { job: 'node' });
    t.equal(first.series[0]!.name, 'up');
    t.same([first.values[0], first.times[0], first.samples[0]], [1, 2000, 2], 'the latest sample, and how many there were');
    const other = { ...up, labels: [...up.labels, ['zone', 'b'] as [string, string]] };
    const second = decode([other, { ...up, samples: [[5, 3000]] }]);
    t.equal(second.series[1], first.series[0], 'the same set, from the cache');
    t.not(second.series[0], first.series[0], 'another set is parsed');
    t.equal(second.values[1], 5);
    t.equal(cache.size, 2);
  }
});

t.test('a hash collision is told apart by the label bytes', async (t) => {
  const raw = encodeWriteRequest([up]);
  // The TimeSeries starts after its tag and length; its labels run until the first sample field (0x12).
  const start = 2;
  let end = start;
  while (raw[end] === 0x0a) end += 2 + raw[end + 1]!;
  const cache = new LabelCache(10);
  const other = Buffer.alloc(end - start, 0x61);
  const h = hashRange(HASH_SEED, new DataView(raw.buffer, raw.byteOffset, raw.length), start, end);
  const impostor = cache.add(labelsOf(['__name__', 'impostor'], new DataView(other.buffer, other.byteOffset, other.length), 0, other.length, h));
  const got = receiveV1(raw, cache);
  t.not(got.series[0], impostor);
  t.equal(got.series[0]!.name, 'up');
  t.equal(cache.bucket(impostor.hash)?.next, impostor, 'both sets in one bucket');
  t.equal(receiveV1(raw, cache).series[0], got.series[0], 'and found again');
});

t.test('labels split around a sample are parsed, not cached; the cache is bounded', async (t) => {
  const split = encodeWriteRequest([{ labels: [['__name__', 'split']], samples: [[3, 1]] }]);
  // Append a second label after the sample, inside the TimeSeries.
  const label = Buffer.from([0x0a, 0x07, 0x0a, 0x01, 0x6b, 0x12, 0x02, 0x76, 0x76]);
  const ts = Buffer.concat([split.subarray(2), label]);
  const raw = Buffer.concat([Buffer.from([0x0a, ts.length]), ts]);
  const cache = new LabelCache(2);
  const got = receiveV1(raw, cache);
  t.same(got.series[0]!.labels, { k: 'vv' });
  t.equal(got.series[0]!.name, 'split');
  t.equal(cache.size, 0);
  for (let i = 0; i < 5; i++) receiveV1(encodeWriteRequest([{ labels: [['__name__', `m${i}`]], samples: [[1, 1]] }]), cache);
  t.ok(cache.size <= 2, `${cache.size} sets held`);
  // A label set longer than MAX_KEY is parsed every time, in both protocols.
  for (const v2 of [false, true]) {
    const long: RwSeries = {
      labels: [
        ['__name__', 'long'],
        ['v', 'x'.repeat(MAX_KEY)],
      ],
      samples: [[2, 1]],
    };
    const c = new LabelCache(10);
    const got = v2 ? receiveV2(encodeRequestV2([long]), c) : receiveV1(encodeWriteRequest([long]), c);
    t.equal(got.series[0]!.labels.v, 'x'.repeat(MAX_KEY));
    t.equal(c.size, 0, `${v2 ? '2.0' : '1.0'}: not kept`);
  }
  // And the keys kept are bounded in bytes: past maxKeyBytes the cache starts again.
  const small = new LabelCache(1000, 200);
  for (let i = 0; i < 20; i++)
    receiveV1(
      encodeWriteRequest([
        {
          labels: [
            ['__name__', `metric_${i}`],
            ['job', 'node'],
          ],
          samples: [[1, 1]],
        },
      ]),
      small,
    );
  t.ok(small.size > 0 && small.size < 20, `${small.size} sets held in 200 bytes of keys`);
});

t.test('the synchronous snappy returns and refuses what the TS twin does', async (t) => {
  t.comment(nativeBinding()?.snappyUncompressSync ? 'the addon decodes' : 'no addon: the TS twin decodes');
  const outcome = (fn: () => Buffer): string => {
    try {
      return fn().toString('hex');
    } catch (err) {
      if (isOutriderError(err) && /^snappy: /.test(err.message)) return 'refused';
      throw err;
    }
  };
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.tuple(fc.uint8Array({ maxLength: 400 }), fc.array(edit, { maxLength: 3 })).map(([b, edits]) => {
      const c = Buffer.from(snappyCompressTs(b));
      for (const e of edits) c[e.at % c.length] = e.byte;
      return c;
    }),
  );
  fc.assert(
    fc.property(bodies, fc.constantFrom(64, 1 << 20), (b, max) => {
      const want = outcome(() => snappyUncompressTs(b, max));
      const got = outcome(() => snappyUncompress(b, max));
      if (want !== got) throw new Error(`${Buffer.from(b).toString('hex')} (max ${max}): ${got} for ${want}`);
    }),
    { numRuns: RUNS * 3 },
  );
  t.same(snappyUncompress(snappyCompressTs(Buffer.from('remote write'))), Buffer.from('remote write'));
});
