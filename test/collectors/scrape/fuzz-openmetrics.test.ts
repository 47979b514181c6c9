/**
 * Property tests of the scrape body readers with fast-check: an OpenMetrics 1.0 document of every type the reader
 * maps (counters with `_total` and `_created`, gauges, histograms, summaries, unknown, info; HELP before or after
 * TYPE, UNIT, exemplars, timestamps in seconds) comes back as the samples and HELP it says, whole and in chunks cut
 * anywhere; any text and mutated documents throw only the coded parse error; and any body, in either format, fed
 * through the scrape's converter (target labels, limits, distributions) throws only the module's own errors and
 * keeps no more series than the body has lines. Brief in the suite; `npm run fuzz:openmetrics` runs them long
 * (OUTRIDER_FUZZ_RUNS per property).
 */
import fc from 'fast-check';
import t from 'tap';
import { ScrapeConverter } from '../../../agent/collectors/scrape/convert';
import { OpenMetricsReader } from '../../../agent/collectors/scrape/openmetrics';
import type { TargetSpec } from '../../../agent/collectors/scrape/targets';
import { ParsedFamily, ParsedSample, PARSE_ERROR, TextParser } from '../../../agent/formats/parse';
import { expectCoded, FuzzTally, RUNS } from '../../helpers/fuzz';

type Kind = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown' | 'info';
interface Series {
  labels: Record<string, string>;
  value: number;
  tsMs: number | null;
  exemplar: boolean;
  created: boolean;
}
interface Family {
  kind: Kind;
  help: string | null;
  helpFirst: boolean;
  unit: boolean;
  series: Series[];
}

const value = fc.oneof(fc.double(), fc.integer().map(Number), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e21, 5e-324));
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/).filter((n) => n !== 'le' && n !== 'quantile');
const labelValue = fc.oneof(fc.string({ maxLength: 8, unit: fc.constantFrom('a', ' ', '"', '\\', '\n', '{', '}', ',', '=', '#', ' # ', 'é', '😀') }), fc.string({ maxLength: 12, unit: 'grapheme' }));
const help = fc.option(fc.string({ maxLength: 16, unit: fc.constantFrom('a', ' ', '\\', '\n', '"', 'é', '😀') }).map((h) => h.trim()));
const family: fc.Arbitrary<Family> = fc.record({
  kind: fc.constantFrom<Kind>('counter', 'gauge', 'histogram', 'summary', 'unknown', 'info'),
  help,
  helpFirst: fc.boolean(),
  unit: fc.boolean(),
  series: fc.array(
    fc.record({
      labels: fc.dictionary(labelName, labelValue, { maxKeys: 3 }),
      value,
      tsMs: fc.option(fc.integer({ min: -1e13, max: 1e13 })),
      exemplar: fc.boolean(),
      created: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

const fmt = (v: number) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const lbl = (l: Record<string, string>) => {
  const ls = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return ls.length ? `{${ls.join(',')}}` : '';
};

type Want = [string, Record<string, string>, number, number | undefined];

/** The document and what it says: the samples in order and each family's HELP under the name the store gives it. */
function render(fams: Family[]): { text: string; samples: Want[]; helps: Map<string, string> } {
  const lines: string[] = [];
  const samples: Want[] = [];
  const helps = new Map<string, string>();
  for (const [i, f] of fams.entries()) {
    const name = `f${i}`;
    const meta = [`# TYPE ${name} ${f.kind}`];
    if (f.help !== null) {
      meta[f.helpFirst ? 'unshift' : 'push'](`# HELP ${name} ${esc(f.help)}`);
      helps.set(f.kind === 'counter' ? `${name}_total` : name, f.help);
    }
    if (f.unit) meta.push(`# UNIT ${name} seconds`);
    lines.push(...meta);
    for (const s of f.series) {
      const ts = s.tsMs === null ? '' : ` ${s.tsMs / 1000}`;
      const ex = s.exemplar ? ' # {trace_id="a b"} 1.5 12.5' : '';
      const line = (n: string, l: Record<string, string>, v: number, exemplar = '') => {
        lines.push(`${n}${lbl(l)} ${fmt(v)}${ts}${exemplar}`);
        samples.push([n, l, v, s.tsMs ?? undefined]);
      };
      if (f.kind === 'counter') line(`${name}_total`, s.labels, s.value, ex);
      else if (f.kind === 'info') line(`${name}_info`, s.labels, 1);
      else if (f.kind === 'histogram') {
        line(`${name}_bucket`, { ...s.labels, le: '0.5' }, s.value, ex);
        line(`${name}_bucket`, { ...s.labels, le: '+Inf' }, s.value);
        line(`${name}_count`, s.labels, s.value);
        line(`${name}_sum`, s.labels, s.value);
      } else if (f.kind === 'summary') {
        line(name, { ...s.labels, quantile: '0.5' }, s.value);
        line(`${name}_count`, s.labels, s.value);
        line(`${name}_sum`, s.labels, s.value);
      } else line(name, s.labels, s.value);
      if (s.created && (f.kind === 'counter' || f.kind === 'histogram' || f.kind === 'summary')) lines.push(`${name}_created${lbl(s.labels)} 1700000000.25`);
    }
  }
  lines.push('# EOF');
  return { text: lines.join('\n') + '\n', samples, helps };
}

function readOm(bytes: Buffer, cuts: number[], sink?: (s: ParsedSample, f: ParsedFamily) => void): { samples: ParsedSample[]; families: ParsedFamily[] } {
  const samples: ParsedSample[] = [];
  const families = new Map<string, ParsedFamily>();
  const r = new OpenMetricsReader(
    sink ??
      ((s, f) => {
        samples.push(s);
        families.set(f.name, f);
      }),
  );
  let at = 0;
  for (const c of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    r.write(bytes.subarray(at, c));
    at = c;
  }
  r.write(bytes.subarray(at));
  r.end();
  return { samples, families: [...families.values()] };
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

t.test('an OpenMetrics document of every type comes back as the samples and HELP it says, whole and in chunks', async (t) => {
  const tally = new FuzzTally();
  fc.assert(
    fc.property(fc.array(family, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (fams, cuts) => {
      const { text, samples, helps } = render(fams);
      for (const c of [[], cuts]) {
        const got = tally.run(() => readOm(Buffer.from(text), c));
        if (got.samples.length !== samples.length) throw new Error(`${got.samples.length} samples for ${samples.length}\n${text}`);
        for (const [j, [n, l, v, ts]] of samples.entries()) {
          const s = got.samples[j]!;
          if (s.name !== n || !sameLabels(s.labels, l) || !Object.is(s.value, v) || s.timestampMs !== ts)
            throw new Error(`sample ${j}: ${JSON.stringify(s)} (${s.value}) for ${JSON.stringify([n, l, fmt(v), ts])}\n${text}`);
        }
        for (const f of got.families)
          if (helps.has(f.name) && f.help !== helps.get(f.name)) throw new Error(`HELP of ${f.name}: ${JSON.stringify(f.help)} for ${JSON.stringify(helps.get(f.name))}\n${text}`);
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('documents'));
});

const line = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ maxLength: 30, unit: fc.constantFrom('f', '0', '_', '{', '}', '"', '=', ',', ' ', '\\', '#', 'e', '+', '-', '.', 'N', 'a', 'I', 'n', '\r', 'E', 'O', 'F') }),
  fc.constantFrom(
    '# EOF',
    '# TYPE f0 counter',
    '# TYPE f0 stateset',
    '# TYPE f0 gaugehistogram',
    '# HELP f0 x\\"y',
    '# UNIT f0',
    'f0_total 1 # {a="b"} 1',
    'f0_total 1 1e400',
    'f0_total 1 NaN',
    'f0_created 1',
    'f0_bucket{le="x"} 1',
    'f0{a="}"} 1 2 3',
    '{a="b"} 1',
  ),
);
const edit = fc.record({ at: fc.nat(), code: fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff) });

function target(): TargetSpec {
  return {
    job: 'j',
    url: new URL('http://127.0.0.1:1/metrics'),
    intervalMs: 15_000,
    timeoutMs: 10_000,
    headers: {},
    honorLabels: false,
    honorTimestamps: true,
    labels: { job: 'j', instance: '127.0.0.1:1' },
    discoveredLabels: {},
    metricRelabel: [],
    limits: { sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, bodySizeLimit: 0, seriesLimit: 0 },
  };
}

/** A body through a reader into the scrape's converter: only the coded errors may escape; series bounded by lines. */
function scrapeAny(body: Buffer, openMetrics: boolean, tally: FuzzTally): void {
  const conv = new ScrapeConverter(target());
  try {
    tally.run(() => {
      const r = openMetrics ? new OpenMetricsReader(conv.add) : new TextParser(conv.add);
      r.write(body);
      r.end();
    });
  } catch (err) {
    expectCoded(err, [PARSE_ERROR, 'OUTRIDER_ERR_SCRAPE_FAILED']);
    return;
  }
  const { keys } = conv.families();
  const lines = body.toString('utf8').split('\n').length;
  if (keys.length > lines) throw new Error(`${keys.length} series from ${lines} lines`);
}

t.test('any text and mutated documents throw only the coded parse error, read alone or through the converter', async (t) => {
  const tally = new FuzzTally();
  fc.assert(
    fc.property(fc.array(family, { maxLength: 3 }), fc.array(line, { maxLength: 8 }), fc.array(edit, { maxLength: 4 }), fc.nat(), fc.boolean(), (fams, extra, edits, at, om) => {
      const lines = render(fams).text.split('\n');
      lines.splice(at % (lines.length + 1), 0, ...extra);
      let text = lines.join('\n');
      for (const e of edits) {
        const i = text.length ? e.at % text.length : 0;
        text = text.slice(0, i) + String.fromCodePoint(e.code) + text.slice(i + 1);
      }
      try {
        tally.run(() => readOm(Buffer.from(text), [at]));
      } catch (err) {
        expectCoded(err, [PARSE_ERROR]);
      }
      scrapeAny(Buffer.from(text), om, tally);
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (b, om) => scrapeAny(Buffer.from(b), om, tally)),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('bodies'));
});

t.test('OpenMetrics HELP unescapes \\" (before, the backslash was kept)', async (t) => {
  const { families } = readOm(Buffer.from('# HELP a say \\"hi\\" \\\\" \\n\n# TYPE a gauge\na 1\n# TYPE c counter\n# HELP c x\\"\nc_total 1\n# EOF\n'), []);
  t.same(
    families.map((f) => [f.name, f.help]),
    [
      ['a', 'say "hi" \\" \n'],
      ['c_total', 'x"'],
    ],
  );
});
