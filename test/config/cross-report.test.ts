/** Reporting and listener settings that pass each key's check but cannot work together are refused with the others. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { run } from '../../agent/cli/check-config';
import { configFromArgs } from '../../agent/cli/config-args';
import { parseArgs } from '../../agent/cli/args';
import { checkAcross, defaultConfig } from '../../agent/keys';

const problems = (over: Record<string, unknown>) => checkAcross(defaultConfig().with(over)).map((p) => `${p.key}: ${p.expected}`);

t.test('a compression level the codec does not have is refused', async (t) => {
  t.same(problems({}), [], 'the defaults pass');
  t.match(problems({ 'report.compression': 'deflate', 'report.compression_level': 11 }), [/^report\.compression_level: 0 to 9 for report\.compression deflate$/]);
  t.match(problems({ 'report.compression': 'gzip', 'report.compression_level': 10 }), [/0 to 9 for report\.compression gzip/]);
  t.same(problems({ 'report.compression': 'brotli', 'report.compression_level': 11 }), [], 'brotli goes to 11');
  t.same(problems({ 'report.compression': 'none', 'report.compression_level': 11 }), [], 'none takes no level');
  t.same(problems({ 'report.compression': 'deflate', 'report.compression_level': 9 }), []);
});

t.test('a sendfile minimum above the largest replay body is refused (runs could never go)', async (t) => {
  t.match(problems({ 'report.sendfile_min_size': 2 << 20, 'report.replay_max_body': 1 << 20 }), [/^report\.sendfile_min_size: at most report\.replay_max_body/]);
  t.same(problems({ 'report.sendfile_min_size': 2 << 20, 'report.replay_max_body': 0 }), [], 'replay_max_body 0 (one batch per request) is a choice');
});

t.test('two TCP listeners on one port are refused', async (t) => {
  t.match(problems({ 'otlp.http.listen': '127.0.0.1:9477' }), [/^otlp\.http\.listen: an address other than listen \(127\.0\.0\.1:9477\): both would bind port 9477$/]);
  t.match(problems({ 'otlp.grpc.listen': '0.0.0.0:4318' }), [/^otlp\.grpc\.listen: an address other than otlp\.http\.listen .*port 4318/], 'a wildcard address clashes with any host');
  t.match(problems({ 'push.listen': '127.0.0.1:4317' }), [/^otlp\.grpc\.listen: an address other than push\.listen \(127\.0\.0\.1:4317\)/]);
  t.same(problems({ 'otlp.grpc.listen': '127.0.0.2:4318' }), [], 'another loopback address is another socket');
  t.same(problems({ 'otlp.enabled': false, 'otlp.http.listen': '127.0.0.1:9477' }), [], 'a listener that is off cannot clash');
  t.same(problems({ 'otlp.http.listen': '' }), [], 'an empty address is off');
  t.equal(problems({ 'push.listen': '127.0.0.1:9477' }).length, 1, 'listen and push.listen are reported once (by the push check)');
});

t.test('check-config lists them with the other problems and exits 2; the agent refuses to start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-cross-report-'));
  const file = join(dir, 'outrider.yaml');
  writeFileSync(file, 'report:\n  compression: deflate\n  compression_level: 11\notlp:\n  grpc:\n    listen: 127.0.0.1:9477\n');
  let err = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      err += chunk.toString();
      cb();
    },
  }) as unknown as typeof process.stderr;
  const out = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as typeof process.stdout;
  t.equal(await run([file], out, sink), 2);
  t.match(err, /report\.compression_level: got "11", expected 0 to 9 for report\.compression deflate/);
  t.match(err, /otlp\.grpc\.listen: got "127\.0\.0\.1:9477", expected an address other than listen/);
  t.match(err, /2 problems found/);
  const started = configFromArgs(parseArgs(['--report.compression-level=11']), {});
  t.equal(started.problems.length, 1);
  t.equal(started.problems[0]!.key, 'report.compression_level');
});
