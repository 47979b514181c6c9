import t from 'tap';
import { compileRelabel, compileRelabels, relabel } from '../../../agent/collectors/scrape/relabel';

const base = { __name__: 'http_requests_total', job: 'api', instance: '10.0.0.1:9090', method: 'GET', path: '/Users' };

// [description, rules, input, expected (undefined: dropped)]
const cases: Array<[string, unknown[], Record<string, string>, Record<string, string> | undefined]> = [
  ['replace with every default copies $1 of source into target', [{ source_labels: ['method'], target_label: 'verb' }], base, { ...base, verb: 'GET' }],
  ['replace with regex groups and a template', [{ source_labels: ['instance'], regex: '(.*):(\\d+)', target_label: 'host', replacement: '${1}-$2' }], base, { ...base, host: '10.0.0.1-9090' }],
  ['replace joins sources with the separator', [{ source_labels: ['job', 'method'], separator: '/', target_label: 'jm' }], base, { ...base, jm: 'api/GET' }],
  ['replace: a regex that does not match changes nothing', [{ source_labels: ['method'], regex: 'POST', target_label: 'verb', replacement: 'x' }], base, base],
  ['replace: the regex is anchored', [{ source_labels: ['method'], regex: 'GE', target_label: 'verb', replacement: 'x' }], base, base],
  ['replace to an empty value removes the label', [{ source_labels: ['nope'], target_label: 'method', replacement: '' }], base, (({ method: _m, ...r }) => r)(base)],
  ['keep keeps a match', [{ source_labels: ['job'], regex: 'api', action: 'keep' }], base, base],
  ['keep drops a non-match', [{ source_labels: ['job'], regex: 'web', action: 'keep' }], base, undefined],
  ['drop drops a match', [{ source_labels: ['__name__'], regex: 'http_.*', action: 'drop' }], base, undefined],
  ['drop keeps a non-match', [{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }], base, base],
  ['keepequal keeps when source equals target', [{ source_labels: ['job'], target_label: 'svc', action: 'keepequal' }], { ...base, svc: 'api' }, { ...base, svc: 'api' }],
  ['keepequal drops when they differ', [{ source_labels: ['job'], target_label: 'svc', action: 'keepequal' }], { ...base, svc: 'web' }, undefined],
  ['dropequal drops when equal', [{ source_labels: ['job'], target_label: 'svc', action: 'dropequal' }], { ...base, svc: 'api' }, undefined],
  ['labelmap copies matching names', [{ regex: '__meta_(.+)', action: 'labelmap' }], { a: '1', __meta_zone: 'z1' }, { a: '1', __meta_zone: 'z1', zone: 'z1' }],
  ['labeldrop removes matching names', [{ regex: 'path|method', action: 'labeldrop' }], base, { __name__: base.__name__, job: 'api', instance: base.instance }],
  ['labelkeep keeps only matching names', [{ regex: '__name__|job', action: 'labelkeep' }], base, { __name__: base.__name__, job: 'api' }],
  ['lowercase', [{ source_labels: ['path'], target_label: 'path', action: 'lowercase' }], base, { ...base, path: '/users' }],
  ['uppercase', [{ source_labels: ['method', 'job'], target_label: 'mj', action: 'uppercase' }], base, { ...base, mj: 'GET;API' }],
  [
    'rules apply in order',
    [
      { source_labels: ['method'], target_label: 'm2' },
      { source_labels: ['m2'], regex: 'GET', action: 'drop' },
    ],
    base,
    undefined,
  ],
];

for (const [name, rules, input, expected] of cases) {
  t.test(name, async (t) => {
    t.same(relabel(input, compileRelabels(rules)), expected);
  });
}

t.test('hashmod matches Prometheus (md5, low 64 bits, big-endian)', async (t) => {
  // Computed independently: md5("a") = 0cc175b9c0f1b6a831c399e269772661; low 8 bytes 0x31c399e269772661.
  const want = Number(BigInt('0x31c399e269772661') % 7n);
  t.same(relabel({ x: 'a' }, compileRelabels([{ source_labels: ['x'], target_label: 'shard', modulus: 7, action: 'hashmod' }])), { x: 'a', shard: String(want) });
});

t.test('bad rules are refused with a clear error', async (t) => {
  t.throws(() => compileRelabel({ action: 'rename' }), { code: 'OUTRIDER_ERR_SCRAPE_RELABEL', message: /unknown relabel action/ });
  t.throws(() => compileRelabel({ source_labels: ['a'] }), { message: /needs target_label/ });
  t.throws(() => compileRelabel({ action: 'hashmod', target_label: 'x', source_labels: ['a'] }), { message: /modulus/ });
  t.throws(() => compileRelabel({ regex: '(', target_label: 'x' }), { message: /bad regex/ });
  t.throws(() => compileRelabel({ action: 'keepequal', target_label: 'x' }), { message: /needs source_labels/ });
  t.throws(() => compileRelabels({}), { message: /list/ });
});

t.test('action names are case-insensitive, as in Prometheus', async (t) => {
  t.equal(compileRelabel({ action: 'Drop', source_labels: ['a'] }).action, 'drop');
});
