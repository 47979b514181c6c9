import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { run } from '../../agent/cli/check-rules';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }), text: () => chunks.join('') };
}

async function check(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await run(args, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

t.test('check-rules prints what promtool check rules prints and exits the same way', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-check-rules-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const good = path.join(dir, 'good.yml');
  const bad = path.join(dir, 'bad.yml');
  fs.writeFileSync(good, 'groups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: up\n      - alert: Down\n        expr: up == 0\n        for: 5m\n');
  fs.writeFileSync(bad, 'groups:\n  - name: g\n    rules:\n      - record: a b\n        expr: up\n        for: 1m\n');
  let r = await check(good);
  t.equal(r.code, 0);
  t.equal(r.out, `Checking ${good}\n  SUCCESS: 2 rules found\n\n`);
  r = await check(good, bad);
  t.equal(r.code, 1);
  t.match(r.out, `Checking ${bad}\n`);
  t.match(r.err, /^ {2}FAILED:\n/);
  t.match(r.err, `${bad}:4:9: group "g", rule 1, "a b": invalid field 'for' in recording rule`);
  t.match(r.err, `invalid recording rule name: a b`);
  r = await check(path.join(dir, 'missing.yml'));
  t.equal(r.code, 1);
  t.match(r.err, /ENOENT/);
  r = await check();
  t.equal(r.code, 2);
  t.match(r.err, /no file given/);
  r = await check('--help');
  t.equal(r.code, 0);
  t.match(r.out, /Usage: outrider check-rules/);
});
