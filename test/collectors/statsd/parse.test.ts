import t from 'tap';
import { canonicalTags, parseLine, parseNumber } from '../../../agent/collectors/statsd/parse';

t.test('metric lines', async (t) => {
  t.match(parseLine('page.views:1|c'), { kind: 'metric', name: 'page.views', type: 'c', values: [1], sampleRate: 1, tags: '' });
  t.match(parseLine('song.length:240|h|@0.5'), { type: 'h', values: [240], sampleRate: 0.5 });
  t.match(parseLine('users.online:1|c|@0.5|#country:china,env:prod'), { tags: 'country:china,env:prod' });
  t.match(parseLine('x:1|c|#b:2,a:1,,c'), { tags: 'a:1,b:2', skippedValuelessTags: 1 }, 'tags are sorted; empty and valueless ones dropped');
  t.match(parseLine('x:1|c|#host:,env:prod'), { tags: 'env:prod', skippedEmptyTags: 1 }, 'a tag with an empty value is dropped and counted');
  t.match(parseLine('x:1|c|#env:'), { tags: '', skippedEmptyTags: 1 });
  t.match(parseLine('x:1|c|#url:http://a:b'), { tags: 'url:http://a:b' }, 'a value may hold colons');
  t.match(parseLine('name:1.5::41|h'), { values: [1.5, 41], skippedValues: 1 }, 'an empty packed value is skipped and counted');
  t.match(parseLine('name::666::123::::|c'), { values: [666, 123], skippedValues: 6 });
  t.match(parseLine('x:-0|c'), { values: [-0] }, 'minus zero is not a decrement');
  t.match(parseLine('x:1.5:2:-3e2|d'), { values: [1.5, 2, -300] });
  t.match(parseLine('g:+3|g'), { relative: true, values: [3] });
  t.match(parseLine('g:-3|g'), { relative: true, values: [-3] });
  t.match(parseLine('g:3|g'), { relative: false });
  t.match(parseLine('s:a:b|s'), { type: 's', member: 'a:b' });
  t.match(parseLine('x:1|g|T1656581400|c:ci-abc,in-1|e:it-false|card:low|zz'), { timestamp: 1656581400 });
  t.match(parseLine('x:1|ms|#a:b|@1'), { type: 'ms', tags: 'a:b', sampleRate: 1 });
});

t.test('refusals name their reason', async (t) => {
  t.equal(parseLine('x'), 'no_value');
  t.equal(parseLine(':1|c'), 'empty_name');
  t.equal(parseLine('x:1'), 'no_type');
  t.equal(parseLine('x:1|'), 'bad_type');
  t.equal(parseLine('x:1|q'), 'bad_type');
  t.equal(parseLine('x:|c'), 'bad_value');
  t.equal(parseLine('x::|c'), 'bad_value', 'only empty packed values: nothing to keep');
  t.equal(parseLine('x:-3|c'), 'negative_counter');
  t.equal(parseLine('x:1:-3|c'), 'negative_counter', 'one negative member refuses the packed line');
  t.equal(parseLine('x:1|c|T'), 'bad_timestamp', 'a bare |T is refused as |TABCD is');
  t.equal(parseLine('x:0x10|c'), 'bad_value');
  t.equal(parseLine('x:Infinity|c'), 'bad_value');
  t.equal(parseLine('x:1|c|@0'), 'bad_sample_rate');
  t.equal(parseLine('x:1|c|@1.5'), 'bad_sample_rate');
  t.equal(parseLine('x:1|c|T-5'), 'bad_timestamp');
  t.equal(parseLine('x:|s'), 'bad_value');
  t.match(parseLine('_e{3,2}:abc|de|#a'), { kind: 'event', title: 'abc' });
  t.match(parseLine('_e{6,2}:h\u00e9llo|de'), { kind: 'event', title: 'h\u00e9llo' }, 'event lengths are UTF-8 bytes');
  t.equal(parseLine('_e{9,2}:abc|de'), 'bad_event');
  t.equal(parseLine('_e{a,2}:abc|de'), 'bad_event');
  t.match(parseLine('_sc|db|1|m:slow'), { kind: 'service_check', name: 'db', status: 1 });
  t.equal(parseLine('_sc|db|7'), 'bad_service_check');
  t.equal(parseLine('_sc||0'), 'bad_service_check');
});

t.test('numbers and tags', async (t) => {
  t.equal(parseNumber('1e3'), 1000);
  t.equal(parseNumber('.5'), 0.5);
  t.equal(parseNumber('5.'), 5);
  t.ok(Number.isNaN(parseNumber(' 1')));
  t.ok(Number.isNaN(parseNumber('1e999')));
  t.same(canonicalTags('z:1,a:2'), { tags: 'a:2,z:1', empty: 0, valueless: 0 });
  t.same(canonicalTags('z,a:,b:1,:c'), { tags: 'b:1', empty: 1, valueless: 2 });
});
