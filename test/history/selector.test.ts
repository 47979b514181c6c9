import t from 'tap';
import { parseSelector } from '../../agent/history/selector';

t.test('selectors as match[] takes them', async (t) => {
  t.same(parseSelector('up'), [{ name: '__name__', type: '=', value: 'up' }]);
  t.same(parseSelector(' node:cpu:rate5m { mode = "idle" , cpu!~`1|2`, } '), [
    { name: '__name__', type: '=', value: 'node:cpu:rate5m' },
    { name: 'mode', type: '=', value: 'idle' },
    { name: 'cpu', type: '!~', value: '1|2' },
  ]);
  t.same(parseSelector(`{__name__=~"node_.*",job!="a\\"b\\\\c\\n",x='\\u00e9\\x41'}`), [
    { name: '__name__', type: '=~', value: 'node_.*' },
    { name: 'job', type: '!=', value: 'a"b\\c\n' },
    { name: 'x', type: '=', value: 'éA' },
  ]);
  t.same(parseSelector('up{}'), [{ name: '__name__', type: '=', value: 'up' }]);
  t.same(parseSelector('{}'), [], 'empty: refused by the history, which names why');
});

t.test('invalid selectors say where', async (t) => {
  for (const [input, what] of [
    ['', /expected a metric name/],
    ['{', /unclosed/],
    ['up{job="a"', /unclosed|expected ','/],
    ['up{job=a}', /quoted label value/],
    ['up{job=="a"}', /quoted label value/],
    ['up{job~"a"}', /expected one of/],
    ['up{1a="x"}', /label name/],
    ['up{job="a" x="b"}', /expected ','/],
    ['up{job="a}', /unterminated/],
    ['up{job="\\q"}', /invalid escape/],
    ['up{__name__="x"}', /set twice/],
    ['rate(up[5m])', /unexpected characters/],
    ['up offset 5m', /unexpected characters/],
  ] as const) {
    t.throws(() => parseSelector(input), { code: 'OUTRIDER_ERR_HISTORY_SELECTOR', message: what }, input);
  }
  t.throws(() => parseSelector('x'.repeat(20_000)), { code: 'OUTRIDER_ERR_HISTORY_SELECTOR' }, 'bounded length');
});
