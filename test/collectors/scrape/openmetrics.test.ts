import t from 'tap';
import type { ParsedFamily, ParsedSample } from '../../../agent/formats/parse';
import { OpenMetricsReader } from '../../../agent/collectors/scrape/openmetrics';

function read(body: string, chunk = body.length): { samples: Array<[string, string, Record<string, string>, number, number | undefined]>; reader: OpenMetricsReader } {
  const samples: Array<[string, string, Record<string, string>, number, number | undefined]> = [];
  const reader = new OpenMetricsReader((s: ParsedSample, f: ParsedFamily) => samples.push([f.name + ':' + (f.type ?? '-') + ':' + (f.help ?? ''), s.name, s.labels, s.value, s.timestampMs]));
  for (let i = 0; i < body.length; i += chunk) reader.write(Buffer.from(body.slice(i, i + chunk)));
  reader.end();
  return { samples, reader };
}

const body = [
  '# HELP req Requests.',
  '# TYPE req counter',
  '# UNIT req requests',
  'req_total{code="200"} 3 1700000000.5 # {trace_id="abc"} 1 1700000000.1',
  'req_created{code="200"} 1699990000',
  '# TYPE lat histogram',
  'lat_bucket{le="1"} 1 # {trace_id="x # y"} 0.5',
  'lat_bucket{le="+Inf"} 2',
  'lat_count 2',
  'lat_sum 3.5',
  'lat_created 1699990000',
  '# TYPE st stateset',
  'st{st="a"} 1',
  '# TYPE u unknown',
  'u{v="a # b"} 7',
  '# EOF',
  '',
].join('\n');

t.test('OpenMetrics: counters renamed, _created and exemplars dropped, seconds to ms, types mapped', async (t) => {
  for (const chunk of [body.length, 7, 1]) {
    const { samples, reader } = read(body, chunk);
    t.same(
      samples,
      [
        ['req_total:counter:Requests.', 'req_total', { code: '200' }, 3, 1700000000500],
        ['lat:histogram:', 'lat_bucket', { le: '1' }, 1, undefined],
        ['lat:histogram:', 'lat_bucket', { le: '+Inf' }, 2, undefined],
        ['lat:histogram:', 'lat_count', {}, 2, undefined],
        ['lat:histogram:', 'lat_sum', {}, 3.5, undefined],
        ['st:gauge:', 'st', { st: 'a' }, 1, undefined],
        ['u:untyped:', 'u', { v: 'a # b' }, 7, undefined],
      ],
      `chunk ${chunk}`,
    );
    t.same(reader.dropped, { created: 2, exemplars: 2 });
  }
});

t.test('OpenMetrics errors name the body line', async (t) => {
  t.throws(() => read('a 1\n'), { code: 'OUTRIDER_ERR_FORMAT_PARSE', message: /^line 2: OpenMetrics body without "# EOF"/ });
  t.throws(() => read('a 1\n# EOF\nb 2\n'), { message: /^line 3: text after "# EOF"/ });
  t.throws(() => read('# HELP a A.\n# TYPE a gauge\na 1\na{ 2\n# EOF\n'), { message: /^line 4: / });
  t.throws(() => read('a 1 notatime\n# EOF\n'), { message: /^line 1: bad timestamp/ });
});
