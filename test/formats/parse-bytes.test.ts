/**
 * The byte reading of a text 0.0.4 body (TextParser with `knownBytes`, parse-bytes.ts) held to the text reading on
 * valid, mutated and random bodies fed in chunks cut anywhere: the same series offered in the same order with the
 * same values and family, the same samples to the sink, the same errors on the same lines, the same families, and
 * without `onError` the same first error. Offers are taken when the series text was offered or sunk before (as the
 * scrape's series cache takes them), so both known and new series are read.
 */
import fc from 'fast-check';
import t from 'tap';
import { HASH_SEED, hashRange, hashText } from '../../agent/formats/byte-hash';
import { ParsedFamily, TextParser } from '../../agent/formats/parse';
import { RUNS } from '../helpers/fuzz';

const fmt = (v: number | undefined) => (v === undefined ? 'u' : Object.is(v, -0) ? '-0' : String(v));

interface Run {
  events: string[];
  families: string;
  threw: string | undefined;
}

/** Parses `body` cut at `cuts`, bytes mode or not; `seed` are series texts known before the body. */
function run(body: Buffer, cuts: number[], bytes: boolean, seed: readonly string[], collect: boolean, maxLineLength: number | undefined): Run {
  const known = new Set(seed);
  const events: string[] = [];
  const take = (raw: string, value: number, ts: number | undefined, f: ParsedFamily): boolean => {
    const hit = known.has(raw);
    events.push(`offer ${JSON.stringify(raw)} ${fmt(value)} ${fmt(ts)} ${f.name} ${f.type} ${JSON.stringify(f.help)} ${hit}`);
    return hit;
  };
  const p = new TextParser(
    (s, f) => {
      events.push(`sink ${s.name} ${JSON.stringify(s.labels)} ${fmt(s.value)} ${fmt(s.timestampMs)} ${s.line} ${JSON.stringify(s.raw)} ${f.name}`);
      known.add(s.raw!);
    },
    {
      maxLineLength,
      onError: collect ? (e) => events.push(`error ${e.line} ${e.message}`) : undefined,
      known: (line, end, value, ts, f) => take(line.slice(0, end), value, ts, f),
      knownBytes: bytes ? (dv, s, e, value, ts, f) => take(Buffer.from(dv.buffer, dv.byteOffset + s, e - s).toString('latin1'), value, ts, f) : undefined,
    },
  );
  let threw: string | undefined;
  try {
    let at = 0;
    for (const c of [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b)) {
      p.write(body.subarray(at, c));
      at = c;
    }
    p.write(body.subarray(at));
    p.end();
  } catch (err) {
    threw = err instanceof Error ? err.message : String(err);
  }
  const families = JSON.stringify(p.families().map((f) => [f.name, f.type, f.help]));
  return { events, families, threw };
}

function same(body: Buffer, cuts: number[], seed: readonly string[], collect: boolean, maxLineLength: number | undefined): void {
  const text = run(body, cuts, false, seed, collect, maxLineLength);
  const bytes = run(body, cuts, true, seed, collect, maxLineLength);
  const show = () => JSON.stringify(body.toString('latin1'));
  if (text.threw !== bytes.threw) throw new Error(`threw ${bytes.threw} for ${text.threw}: ${show()}`);
  if (text.families !== bytes.families) throw new Error(`families ${bytes.families} for ${text.families}: ${show()}`);
  for (let i = 0; i < Math.max(text.events.length, bytes.events.length); i++)
    if (text.events[i] !== bytes.events[i]) throw new Error(`event ${i}: ${bytes.events[i]} for ${text.events[i]}: ${show()}`);
}

const unit = fc.constantFrom('a', 'b', ' ', '"', '\\', 'n', '{', '}', ',', '=', '#', '\t', '\r', 'é', '😀', '1', '.', '-', 'e');
const labelValue = fc.string({ maxLength: 6, unit });
const line = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('m', 'm_sum', 'm_count', 'm_bucket', 'n', 'x:y'),
        fc.dictionary(fc.constantFrom('a', 'b', 'le', 'quantile'), labelValue, { maxKeys: 3 }),
        fc.constantFrom('1', '-2.5', '0.1', '1e3', '+Inf', 'NaN', '-0', '123456789012345678', 'x', ''),
        fc.option(fc.constantFrom('5', '-7', '1234567890123456789', '12345678901234567890', '1.5', '')),
      )
      .map(([n, l, v, ts]) => {
        const ls = Object.entries(l).map(([k, x]) => `${k}="${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
        return `${n}${ls.length ? `{${ls.join(',')}}` : ''} ${v}${ts === null ? '' : ` ${ts}`}`;
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('TYPE', 'HELP'), fc.constantFrom('m', 'n', 'x:y'), fc.constantFrom('gauge', 'counter', 'histogram', 'summary', 'untyped', 'text'))
      .map(([k, n, x]) => `# ${k} ${n} ${x}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, unit }) },
);
const body = fc.array(line, { maxLength: 12 }).map((ls) => ls.join('\n') + '\n');
const mutate = (b: Buffer, edits: Array<[number, number]>): Buffer => {
  const out = [...b];
  for (const [at, byte] of edits) out.splice(at % (out.length + 1), byte % 3 === 0 ? 1 : 0, byte);
  return Buffer.from(out);
};
const cuts = fc.array(fc.nat(), { maxLength: 6 });
const opts = fc.record({ collect: fc.boolean(), maxLine: fc.option(fc.integer({ min: 1, max: 40 })), seedEvery: fc.integer({ min: 1, max: 3 }) });

/** Series texts a first read of `b` sinks, every `every`-th kept: the known series of a second read. */
function seedOf(b: Buffer, every: number): string[] {
  const raws: string[] = [];
  const p = new TextParser((s) => raws.push(s.raw!), { onError: () => undefined, known: () => false });
  p.write(b);
  p.end();
  return raws.filter((_, i) => i % every === 0);
}

t.test('hashText of a text is hashRange of its bytes', async (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40, unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)) }), (s) => {
      const b = Buffer.from(s, 'latin1');
      return hashText(HASH_SEED, s, 0, s.length) === hashRange(HASH_SEED, new DataView(b.buffer, b.byteOffset, b.length), 0, b.length);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('valid and near-valid bodies: the byte reading is the text reading', async (t) => {
  fc.assert(
    fc.property(body, cuts, opts, (text, c, o) => {
      const b = Buffer.from(text);
      same(b, c, seedOf(b, o.seedEvery), o.collect, o.maxLine ?? undefined);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('mutated bodies (bytes inserted, replaced, split characters) read the same both ways', async (t) => {
  fc.assert(
    fc.property(body, fc.array(fc.tuple(fc.nat(), fc.constantFrom(10, 13, 32, 34, 35, 92, 123, 125, 0xc3, 0xe2, 0xff, 0x80, 48)), { minLength: 1, maxLength: 4 }), cuts, opts, (text, edits, c, o) => {
      const base = Buffer.from(text);
      same(mutate(base, edits), c, seedOf(base, o.seedEvery), o.collect, o.maxLine ?? undefined);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('random bytes read the same both ways', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), cuts, opts, (raw, c, o) => {
      const b = Buffer.from(raw);
      same(b, c, seedOf(b, o.seedEvery), o.collect, o.maxLine ?? undefined);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('a series straddling chunks and a known series after a new family are read from bytes', async (t) => {
  const offers: string[] = [];
  const p = new TextParser(() => undefined, {
    known: () => {
      offers.push('text');
      return false;
    },
    knownBytes: (dv, s, e) => {
      offers.push(Buffer.from(dv.buffer, dv.byteOffset + s, e - s).toString('latin1'));
      return true;
    },
  });
  const b = Buffer.from('# TYPE a gauge\na{x="1"} 1\nb{y="2"} 2 5\nc{z="é"} 3\n');
  for (let i = 0; i < b.length; i += 7) p.write(b.subarray(i, i + 7));
  p.end();
  t.same(offers, ['a{x="1"}', 'b{y="2"}', 'text'], 'the ASCII lines as bytes, the other as text');
});
