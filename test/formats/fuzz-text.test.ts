/**
 * Property tests of the text format 0.0.4 parser (agent/formats/parse) with fast-check, the reader of every scraped
 * /metrics page and pushed body: a valid document of every type (labels with any characters, timestamps) comes back
 * exactly, whole or fed in chunks split anywhere (inside a UTF-8 character too); any text, random or a valid document
 * mutated, never throws anything but OUTRIDER_ERR_FORMAT_PARSE (and, collecting errors, never throws), gives the same
 * result in chunks as whole, and keeps no more text than it was given. Brief in the suite; `npm run fuzz:text` runs
 * them long (OUTRIDER_FUZZ_RUNS per property).
 */
import fc from 'fast-check';
import t from 'tap';
import { ParsedFamily, parseText, PARSE_ERROR, TextParser } from '../../agent/formats/parse';
import { expectCoded, FuzzTally, RUNS } from '../helpers/fuzz';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Series {
  labels: Record<string, string>;
  value: number;
  ts: number | null;
}
interface Family {
  type: 'counter' | 'gauge' | 'untyped' | 'histogram' | 'summary' | undefined;
  help: string | null;
  series: Series[];
}

const value = fc.oneof(fc.double(), fc.integer().map(Number), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e21, 5e-324));
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/).filter((n) => n !== 'le' && n !== 'quantile');
const labelValue = fc.oneof(
  fc.string({ maxLength: 8, unit: fc.constantFrom('a', ' ', '"', '\\', '\n', '\r', '\t', '{', '}', ',', '=', '#', 'é', '€', '😀') }),
  fc.string({ maxLength: 12, unit: 'grapheme' }),
);
const labels = fc.dictionary(labelName, labelValue, { maxKeys: 3 });
// HELP text keeps its inner characters; the line's leading and trailing blanks are the format's, not the text's.
const help = fc.option(fc.string({ maxLength: 16, unit: fc.constantFrom('a', ' ', '\t', '\\', '\n', '"', 'é', '😀') }).map((h) => h.replace(/^[ \t]+|[ \t]+$/g, '')));
const family: fc.Arbitrary<Family> = fc.record({
  type: fc.constantFrom('counter', 'gauge', 'untyped', 'histogram', 'summary', undefined),
  help,
  series: fc.array(fc.record({ labels, value, ts: fc.option(fc.integer({ min: -1e15, max: 1e15 })) }), { minLength: 1, maxLength: 3 }),
});

const fmt = (v: number) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const renderLabels = (l: Record<string, string>) => {
  const ls = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return ls.length ? `{${ls.join(',')}}` : '';
};

/** The samples one series writes: [line name, labels, value]; a histogram's or summary's expanded. */
function expand(name: string, f: Family, s: Series): Array<[string, Record<string, string>, number]> {
  if (f.type === 'histogram')
    return [
      [`${name}_bucket`, { ...s.labels, le: '0.5' }, s.value],
      [`${name}_bucket`, { ...s.labels, le: '+Inf' }, s.value],
      [`${name}_sum`, s.labels, s.value],
      [`${name}_count`, s.labels, s.value],
    ];
  if (f.type === 'summary')
    return [
      [name, { ...s.labels, quantile: '0.99' }, s.value],
      [`${name}_sum`, s.labels, s.value],
      [`${name}_count`, s.labels, s.value],
    ];
  return [[name, s.labels, s.value]];
}

function render(fams: Family[]): string {
  const lines: string[] = [];
  for (const [i, f] of fams.entries()) {
    const name = `m${i}`;
    if (f.help !== null) lines.push(`# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    if (f.type) lines.push(`# TYPE ${name} ${f.type}`);
    for (const s of f.series) for (const [n, l, v] of expand(name, f, s)) lines.push(`${n}${renderLabels(l)} ${fmt(v)}${s.ts === null ? '' : ` ${s.ts}`}`);
  }
  return lines.join('\n') + '\n';
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

function checkRoundTrip(fams: Family[], got: ParsedFamily[], text: string): void {
  if (got.length !== fams.length) throw new Error(`${got.length} families for ${fams.length}\n${text}`);
  for (const [i, f] of fams.entries()) {
    const g = got[i]!;
    if (g.name !== `m${i}` || g.type !== f.type || g.help !== (f.help ?? undefined)) throw new Error(`family ${i}: ${JSON.stringify([g.name, g.type, g.help])}\n${text}`);
    const want = f.series.flatMap((s) => expand(`m${i}`, f, s).map(([n, l, v]) => ({ n, l, v, ts: s.ts })));
    if (g.samples.length !== want.length) throw new Error(`family ${i}: ${g.samples.length} samples for ${want.length}\n${text}`);
    for (const [j, w] of want.entries()) {
      const s = g.samples[j]!;
      if (s.name !== w.n || !sameLabels(s.labels, w.l) || !Object.is(s.value, w.v) || s.timestampMs !== (w.ts ?? undefined))
        throw new Error(`sample ${j}: ${JSON.stringify(s)} for ${JSON.stringify(w)} (${String(w.v)})\n${text}`);
    }
  }
}

/** Parses `bytes` fed in pieces cut at `cuts`, collecting errors. */
function parseChunked(bytes: Buffer, cuts: number[]): { families: ParsedFamily[]; errors: string[] } {
  const errors: string[] = [];
  const p = new TextParser((s, f) => f.samples.push(s), { onError: (e) => errors.push(`${e.line}: ${e.message}`) });
  let at = 0;
  for (const c of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    p.write(bytes.subarray(at, c));
    at = c;
  }
  p.write(bytes.subarray(at));
  p.end();
  return { families: p.families().filter((f) => f.samples.length > 0 || f.help !== undefined || f.type !== undefined), errors };
}

/** What a parse keeps: every sample's own text (name, label names and values) and the families' names and HELP. */
function keptChars(fams: ParsedFamily[]): number {
  let n = 0;
  for (const f of fams) {
    n += f.name.length + (f.help?.length ?? 0);
    for (const s of f.samples) {
      n += s.name.length;
      for (const [k, v] of Object.entries(s.labels)) n += k.length + v.length;
    }
  }
  return n;
}

function checkAny(text: string, tally: FuzzTally): void {
  const r = tally.run(() => parseText(text, { collectErrors: true }));
  const lines = text.split('\n').length;
  if (r.errors.length > 100 || r.errorCount < r.errors.length) throw new Error(`${r.errors.length} errors kept of ${r.errorCount}`);
  // The names come from the input's own lines, so what is kept is never more than was read (plus a family's name per
  // HELP or TYPE line, at most the line's length too).
  if (keptChars(r.families) > 2 * text.length) throw new Error(`${keptChars(r.families)} characters kept from ${text.length}`);
  for (const f of r.families)
    for (const s of f.samples) {
      if (!METRIC_NAME.test(s.name) || typeof s.value !== 'number' || s.line < 1 || s.line > lines) throw new Error(`sample ${JSON.stringify(s)}`);
      for (const [k, v] of Object.entries(s.labels)) if (!LABEL_NAME.test(k) || typeof v !== 'string') throw new Error(`label ${JSON.stringify(k)}`);
    }
  let threw: unknown;
  try {
    parseText(text);
  } catch (err) {
    expectCoded(err, [PARSE_ERROR]);
    threw = err;
  }
  if ((threw === undefined) !== (r.errorCount === 0)) throw new Error(`${r.errorCount} bad lines collected, but strict parsing ${threw ? 'threw' : 'did not throw'}`);
}

t.test('a valid document of every type comes back exactly, whole and in chunks', async (t) => {
  const tally = new FuzzTally();
  fc.assert(
    fc.property(fc.array(family, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (fams, cuts) => {
      const text = render(fams);
      const r = tally.run(() => parseText(text));
      checkRoundTrip(fams, r.families, text);
      const c = parseChunked(Buffer.from(text), cuts);
      if (c.errors.length) throw new Error(`in chunks: ${c.errors.join('; ')}\n${text}`);
      checkRoundTrip(fams, c.families, text);
    }),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('documents'));
});

const line = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ maxLength: 30, unit: fc.constantFrom('m', '0', '_', ':', '{', '}', '"', '=', ',', ' ', '\\', '#', 'e', '+', '-', '.', 'N', 'a', 'I', 'n', 'f', '\t', '\r', 'l') }),
  fc.constantFrom(
    '# TYPE m0 summary',
    '# TYPE m0 histogram',
    '# TYPE m0 counter',
    '# TYPE m0 gauge',
    '# TYPE m0 bogus',
    '# HELP m0 x\\y\\n',
    '# HELP',
    '#TYPE m0',
    'm0_bucket{le="+Inf"} 1',
    'm0_bucket 1',
    'm0 1 1700000000000',
    'm0 1 17000000000000000000000',
    'm0{quantile="0.5"} 1',
    'm0{a="b",a="c"} 1',
    'm0{a="\\q"} 1',
    'm0{a="b"',
    'm0{} 1',
    'm0 0x10',
    'm0 1 2 3',
  ),
);
const edit = fc.record({ at: fc.nat(), code: fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff) });

t.test('any text never throws but a coded parse error, and keeps no more than it read', async (t) => {
  const tally = new FuzzTally();
  fc.assert(
    fc.property(fc.array(family, { maxLength: 3 }), fc.array(line, { maxLength: 8 }), fc.array(edit, { maxLength: 4 }), fc.nat(), (fams, extra, edits, at) => {
      const lines = render(fams).split('\n');
      lines.splice(at % (lines.length + 1), 0, ...extra);
      let text = lines.join('\n');
      for (const e of edits) {
        const i = text.length ? e.at % text.length : 0;
        text = text.slice(0, i) + String.fromCodePoint(e.code) + text.slice(i + 1);
      }
      checkAny(text, tally);
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (text) => checkAny(text, tally)),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('texts'));
});

t.test('any bytes give the same families and errors in chunks as whole', async (t) => {
  const tally = new FuzzTally();
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.tuple(fc.array(family, { maxLength: 3 }), fc.array(edit, { maxLength: 3 })).map(([fams, edits]) => {
      const b = Buffer.from(render(fams));
      for (const e of edits) if (b.length) b[e.at % b.length] = e.code & 0xff;
      return b;
    }),
  );
  fc.assert(
    fc.property(bytes, fc.array(fc.nat(), { maxLength: 8 }), (b, cuts) => {
      const whole = tally.run(() => parseChunked(b, []));
      const pieces = parseChunked(b, cuts);
      if (JSON.stringify(whole) !== JSON.stringify(pieces)) throw new Error(`chunks differ:\n${JSON.stringify(whole)}\n${JSON.stringify(pieces)}`);
    }),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('bodies'));
});

t.test('a line longer than the limit is one error, and its rest is not read as a line', async (t) => {
  const errors: string[] = [];
  const got: Array<[string, number]> = [];
  const p = new TextParser((s) => got.push([s.name, s.line]), { maxLineLength: 64, onError: (e) => errors.push(`${e.line}: ${e.message}`) });
  // The long line's rest, after the limit, looks like a sample of its own: it must not become one.
  for (let i = 0; i < 100; i++) p.write('x'.repeat(50));
  p.write(' injected 1');
  p.write('\nok 1\n');
  p.write('y'.repeat(100));
  p.end();
  t.same(errors, ['1: line longer than 64 characters', '3: line longer than 64 characters']);
  t.same(got, [['ok', 2]]);
});
