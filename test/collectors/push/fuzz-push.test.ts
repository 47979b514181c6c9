/**
 * Property tests of the push parser with fast-check: any text (random, or a valid document mutated line by line and
 * byte by byte) never throws and gives back only samples the push endpoint accepts (a valid metric and label names,
 * counter, gauge or untyped, a number), at most one per line; a valid document of counters, gauges and untyped
 * samples comes back exactly; summaries, histograms and timestamps are refused with an error, never kept. Brief in
 * the suite; `npm run fuzz:push` runs them long (OUTRIDER_FUZZ_RUNS per property).
 */
import fc from 'fast-check';
import t from 'tap';
import { parsePush, PushSample } from '../../../agent/collectors/push/parse';

const RUNS = Number(process.env.OUTRIDER_FUZZ_RUNS ?? 300);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const value = fc.oneof(fc.double(), fc.integer().map(Number), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e21, 5e-324));
const labelValue = fc.string({ maxLength: 8, unit: fc.constantFrom('a', 'b', ' ', '"', '\\', '\n', '{', '}', ',', '=', 'é', '#') });
const family = fc.record({
  type: fc.constantFrom('counter', 'gauge', 'untyped', undefined),
  help: fc.option(fc.string({ maxLength: 12, unit: fc.constantFrom('a', ' ', '\\', '\n', 'é') })),
  samples: fc.array(fc.tuple(fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), labelValue, { maxKeys: 3 }), value), { minLength: 1, maxLength: 4 }),
});

interface Family {
  type: string | undefined;
  help: string | null;
  samples: Array<[Record<string, string>, number]>;
}

const escapeValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const formatValue = (v: number) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** A document in the text format; families named m0, m1, ... (no suffix a parser could read as a part of another). */
function render(fams: Family[]): string {
  const lines: string[] = [];
  for (const [i, f] of fams.entries()) {
    const name = `m${i}`;
    if (f.help !== null) lines.push(`# HELP ${name} ${escapeHelp(f.help)}`);
    if (f.type) lines.push(`# TYPE ${name} ${f.type}`);
    for (const [labels, v] of f.samples) {
      const ls = Object.entries(labels).map(([k, lv]) => `${k}="${escapeValue(lv)}"`);
      lines.push(`${name}${ls.length ? `{${ls.join(',')}}` : ''} ${formatValue(v)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function checkAccepted(text: string, r: { samples: PushSample[]; errors: string[] }): void {
  if (!Array.isArray(r.samples) || !Array.isArray(r.errors)) throw new Error('not two arrays');
  if (r.samples.length > text.split('\n').length) throw new Error(`${r.samples.length} samples from ${text.split('\n').length} lines`);
  for (const s of r.samples) {
    if (!METRIC_NAME.test(s.name)) throw new Error(`metric name ${JSON.stringify(s.name)}`);
    if (s.type !== 'counter' && s.type !== 'gauge' && s.type !== 'untyped') throw new Error(`type ${s.type}`);
    if (typeof s.value !== 'number') throw new Error(`value ${String(s.value)}`);
    for (const [k, v] of Object.entries(s.labels)) if (!LABEL_NAME.test(k) || typeof v !== 'string') throw new Error(`label ${JSON.stringify(k)}`);
  }
  for (const e of r.errors) if (typeof e !== 'string') throw new Error('an error that is not a message');
}

t.test('a valid document of counters, gauges and untyped samples comes back exactly', async (t) => {
  fc.assert(
    fc.property(fc.array(family, { minLength: 1, maxLength: 5 }), (fams) => {
      const text = render(fams);
      const r = parsePush(text);
      if (r.errors.length) throw new Error(`errors: ${r.errors.join('; ')}\n${text}`);
      const want = fams.flatMap((f, i) => f.samples.map(([labels, v]) => ({ name: `m${i}`, type: f.type ?? 'gauge', labels, value: v })));
      if (r.samples.length !== want.length) throw new Error(`${r.samples.length} samples, ${want.length} written\n${text}`);
      for (const [i, w] of want.entries()) {
        const g = r.samples[i]!;
        const same = g.name === w.name && g.type === w.type && Object.is(g.value, w.value) && JSON.stringify(Object.entries(g.labels).sort()) === JSON.stringify(Object.entries(w.labels).sort());
        if (!same) throw new Error(`sample ${i}: ${JSON.stringify(g)} for ${JSON.stringify(w)} (${String(w.value)})\n${text}`);
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} documents`);
});

t.test('any text never throws and gives only samples the endpoint accepts', async (t) => {
  const line = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ maxLength: 30, unit: fc.constantFrom('m', '0', '_', ':', '{', '}', '"', '=', ',', ' ', '\\', '#', 'e', '+', '-', '.', 'N', 'a', 'I', 'n', 'f', '\t', '\r') }),
    fc.constantFrom(
      '# TYPE m0 summary',
      '# TYPE m0 histogram',
      '# TYPE m0 counter',
      '# HELP m0 x',
      'm0_bucket{le="+Inf"} 1',
      'm0 1 1700000000000',
      'm0{a="b"} 2',
      'm0{a="b",a="c"} 1',
      'm0{} 1',
      'm0 0x10',
    ),
  );
  const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff) });
  fc.assert(
    fc.property(fc.array(family, { maxLength: 3 }), fc.array(line, { maxLength: 8 }), fc.array(edit, { maxLength: 4 }), fc.nat(), (fams, extra, edits, at) => {
      const lines = render(fams).split('\n');
      lines.splice(at % (lines.length + 1), 0, ...extra);
      let text = lines.join('\n');
      for (const e of edits) {
        const i = text.length ? e.at % text.length : 0;
        text = text.slice(0, i) + String.fromCodePoint(e.byte) + text.slice(i + 1);
      }
      checkAccepted(text, parsePush(text));
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (text) => checkAccepted(text, parsePush(text))),
    { numRuns: RUNS },
  );
  t.pass(`${2 * RUNS} texts`);
});

t.test('summaries, histograms and timestamps are refused with an error, never kept', async (t) => {
  fc.assert(
    fc.property(fc.constantFrom('summary', 'histogram', 'timestamp'), fc.array(family, { maxLength: 3 }), (what, fams) => {
      const bad = what === 'timestamp' ? 'bad 1 1700000000000' : `# TYPE bad ${what}\nbad_count 1\nbad_sum 2`;
      const r = parsePush(`${render(fams)}${bad}\n`);
      if (r.errors.length === 0) throw new Error(`a ${what} was not refused`);
      if (r.samples.some((s) => s.name.startsWith('bad'))) throw new Error(`a ${what} was kept`);
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} documents`);
});
