/** The one text-format parser (agent/formats/parse): strict, line-numbered, whole bodies and chunks alike. */
import t from 'tap';
import { isOutriderError } from '../../agent/core/errors';
import { render } from '../../agent/exposition/render';
import { parseText, ParsedFamily, TextParser } from '../../agent/formats/parse';
import { parseValue } from '../../agent/formats/value';
import { Store } from '../../agent/store/store';

function fixtureStore(): Store {
  const s = new Store();
  s.set({ name: 'node_cpu_seconds_total', help: 'Seconds the CPUs spent in each mode.', type: 'counter' }, { cpu: '0', mode: 'idle' }, 12.5);
  s.set({ name: 'weird_help', help: 'Back\\slash "quoted"\nnewline.', type: 'gauge' }, { path: 'C:\\dir "x"\nnext' }, NaN);
  s.set({ name: 'plain', help: '', type: 'untyped' }, {}, -Infinity);
  s.setDist(
    { name: 'rpc_duration_seconds', help: 'RPC latency.', type: 'summary' },
    { svc: 'a' },
    {
      count: 3,
      sum: 0.6,
      quantiles: [
        [0.5, 0.2],
        [0.99, 0.3],
      ],
    },
  );
  s.setDist(
    { name: 'req_size_bytes', help: 'Request sizes.', type: 'histogram' },
    {},
    {
      count: 4,
      sum: 300,
      buckets: [
        [100, 2],
        [200, 3],
      ],
    },
  );
  s.setSample({ name: 'stamped', help: 'With a timestamp.', type: 'gauge' }, { labels: { a: 'b' }, value: 7, timestampMs: 1700000000123 });
  return s;
}

const strip = (fams: ParsedFamily[]) => fams.map((f) => ({ ...f, samples: f.samples.map(({ line: _line, ...rest }) => rest) }));

t.test('what the renderer writes, the parser reads back', async (t) => {
  const { families } = parseText(render(fixtureStore(), 'text'));
  const byName = new Map(families.map((f) => [f.name, f]));
  t.same([...byName.keys()].sort(), ['node_cpu_seconds_total', 'plain', 'req_size_bytes', 'rpc_duration_seconds', 'stamped', 'weird_help']);
  t.equal(byName.get('weird_help')!.help, 'Back\\slash "quoted"\nnewline.');
  t.same(byName.get('weird_help')!.samples[0]!.labels, { path: 'C:\\dir "x"\nnext' });
  t.ok(Number.isNaN(byName.get('weird_help')!.samples[0]!.value));
  t.equal(byName.get('plain')!.samples[0]!.value, -Infinity);
  t.equal(byName.get('plain')!.type, 'untyped');
  t.same(
    byName.get('req_size_bytes')!.samples.map((s) => [s.name, s.labels.le, s.value]),
    [
      ['req_size_bytes_bucket', '100', 2],
      ['req_size_bytes_bucket', '200', 3],
      ['req_size_bytes_bucket', '+Inf', 4],
      ['req_size_bytes_sum', undefined, 300],
      ['req_size_bytes_count', undefined, 4],
    ],
  );
  t.same(
    byName.get('rpc_duration_seconds')!.samples.map((s) => s.name),
    ['rpc_duration_seconds', 'rpc_duration_seconds', 'rpc_duration_seconds_sum', 'rpc_duration_seconds_count'],
  );
  t.equal(byName.get('stamped')!.samples[0]!.timestampMs, 1700000000123);
  t.equal(byName.get('stamped')!.samples[0]!.line, render(fixtureStore(), 'text').split('\n').indexOf('stamped{a="b"} 7 1700000000123') + 1);
});

t.test('chunks of any size parse as the whole body does (a split UTF-8 character included)', async (t) => {
  const body = Buffer.from(render(fixtureStore(), 'text') + 'utf{v="h\u00e9llo \u{1F600}"} 1\n', 'utf8');
  const whole = strip(parseText(body).families);
  for (const size of [1, 2, 3, 7, 64]) {
    const fams = new Map<string, ParsedFamily>();
    const p = new TextParser((s, f) => {
      fams.set(f.name, f);
      f.samples.push(s);
    });
    for (let i = 0; i < body.length; i += size) p.write(body.subarray(i, i + size));
    p.end();
    t.same(strip(p.families()), whole, `chunks of ${size} bytes`);
  }
  t.same(whole.at(-1)!.samples[0]!.labels, { v: 'h\u00e9llo \u{1F600}' });
});

t.test('every bad line is an error naming its line', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['9x 1', /valid metric name/],
    ['x', /no value/],
    ['x{a=1} 2', /not quoted/],
    ['x{a="1" 2', /not separated/],
    ['x{a="1} 2', /unterminated/],
    ['x{a="\\t"} 2', /bad escape/],
    ['x{a="1",a="2"} 2', /repeated/],
    ['x{1a="1"} 2', /bad label name/],
    ['x abc', /bad value/],
    ['x 0x10', /bad value/],
    ['x 1 2.5', /bad timestamp/],
    ['x 1 2 3', /unexpected text/],
    ['x{a="1"}2', /unexpected/],
    ['# TYPE x bogus', /unknown type/],
    ['# TYPE 0x counter', /valid metric name/],
    ['# TYPE x gauge\n# TYPE x gauge', /second TYPE/],
    ['# HELP x a\n# HELP x b', /second HELP/],
    ['x 1\n# TYPE x gauge', /after its samples/],
    ['# TYPE h histogram\nh_bucket 1', /without an le label/],
    ['# TYPE h histogram\nh 1', /without _bucket/],
    ['# TYPE s summary\ns 1', /without a quantile/],
  ];
  for (const [text, re] of bad) {
    const body = 'ok_before 1\n' + text + '\n';
    const lines = text.split('\n').length;
    try {
      parseText(body);
      t.fail(`accepted ${JSON.stringify(text)}`);
    } catch (err) {
      t.ok(isOutriderError(err, 'OUTRIDER_ERR_FORMAT_PARSE'), `coded error for ${JSON.stringify(text)}`);
      t.match((err as Error).message, re, JSON.stringify(text));
      t.equal((err as { details?: { line?: number } }).details?.line, 1 + lines, `line number for ${JSON.stringify(text)}`);
    }
  }
});

t.test('collecting errors goes on past bad lines, bounded', async (t) => {
  const r = parseText('a 1\nbad line here\nb 2\n9x 1\n', { collectErrors: true });
  t.same(
    r.errors.map((e) => e.line),
    [2, 4],
  );
  t.same(
    r.families.map((f) => f.name),
    ['a', 'b'],
  );
  const many = parseText('x y\n'.repeat(500), { collectErrors: true, maxErrors: 10 });
  t.equal(many.errors.length, 10);
  t.equal(many.errorCount, 500);
});

t.test('a line longer than the bound is an error, not a growing buffer', async (t) => {
  const issues: number[] = [];
  const p = new TextParser(() => undefined, { maxLineLength: 100, onError: (e) => issues.push(e.line) });
  for (let i = 0; i < 10; i++) p.write('x'.repeat(60));
  p.write('\nok 1\n');
  p.end();
  t.ok(issues.length >= 1);
  t.throws(() => p.write('late 1\n'), /write after end/);
});

t.test('lenient where the format is: blanks, comments, CRLF, empty braces, trailing comma', async (t) => {
  const r = parseText('  # a comment\n\n# HELP x Text with \\q kept.\r\n x{} 1 \r\n y{a="1",} +Inf\n');
  t.equal(r.families[0]!.help, 'Text with \\q kept.');
  t.same(
    strip(r.families).map((f) => f.samples),
    [[{ name: 'x', labels: {}, value: 1 }], [{ name: 'y', labels: { a: '1' }, value: Infinity }]],
  );
});

t.test('values: decimal floats, Inf and NaN, nothing looser', async (t) => {
  t.equal(parseValue('1.5e3'), 1500);
  t.equal(parseValue('-.5'), -0.5);
  t.equal(parseValue('+Inf'), Infinity);
  t.equal(parseValue('-inf'), -Infinity);
  t.ok(Number.isNaN(parseValue('NaN')!));
  for (const bad of ['', '0x10', '1e', 'Infinityx', '1_000', ' 1']) t.equal(parseValue(bad), undefined, JSON.stringify(bad));
});
