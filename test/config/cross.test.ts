/** Checks across keys: a component's problem is listed by check-config with every other one. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { run } from '../../agent/cli/check-config';
import { configFromArgs } from '../../agent/cli/config-args';
import { parseArgs } from '../../agent/cli/args';
import { checkAcross, defaultConfig } from '../../agent/keys';

function sink<S>(): { stream: S; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as unknown as S;
  return { stream, text: () => text };
}

t.test('push.listen on the port of listen is refused', async (t) => {
  t.same(checkAcross(defaultConfig()), [], 'the defaults pass');
  t.same(checkAcross(defaultConfig().with({ 'push.listen': '127.0.0.1:9478' })), [], 'another port passes');
  t.same(checkAcross(defaultConfig().with({ 'push.listen': '127.0.0.2:9477' })), [], 'another loopback address passes');
  const clash = checkAcross(defaultConfig().with({ 'push.listen': '0.0.0.0:9477' }));
  t.equal(clash.length, 1);
  t.equal(clash[0]!.key, 'push.listen');
  t.match(clash[0]!.expected, /both would bind port 9477/);
});

t.test('check-config lists the problem across keys, naming where the key was set', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-cross-'));
  const file = join(dir, 'outrider.yaml');
  writeFileSync(file, 'listen: 127.0.0.1:9555\npush:\n  listen: 127.0.0.1:9555\n');
  const out = sink<typeof process.stdout>();
  const err = sink<typeof process.stderr>();
  t.equal(await run([file], out.stream, err.stream), 2, 'exit code 2');
  t.match(err.text(), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: push.listen: got "127.0.0.1:9555", expected an address other than listen`));
  t.match(err.text(), /1 problem found/);
});

t.test('the agent refuses to start on it like on any other problem', async (t) => {
  const { problems } = configFromArgs(parseArgs(['--push.listen=127.0.0.1:9477']), {});
  t.equal(problems.length, 1);
  t.equal(problems[0]!.where, 'flag');
});
