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

t.test('the published node-exporter rules load, and check-rules agrees with promtool on them and on bad files', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { haveCommand, requireTool } = await import('../helpers/tools');
  const nodeMixin = path.join(__dirname, '..', '..', '..', 'test', 'rules', 'node-mixin', 'node-exporter.rules.yml');
  const ours = await check(nodeMixin);
  t.equal(ours.code, 0, ours.err);
  t.match(ours.out, 'SUCCESS: 29 rules found');
  await t.test('promtool gives the same verdicts', requireTool(haveCommand('promtool'), 'promtool'), async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-check-rules-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const cases: Record<string, string> = {
      'record-for.yml': 'groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        for: 1m\n',
      'both.yml': 'groups:\n  - name: g\n    rules:\n      - record: a\n        alert: b\n        expr: up\n',
      'dup-group.yml': 'groups:\n  - name: g\n  - name: g\n',
      'bad-template.yml': 'groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: up\n        annotations:\n          x: "{{ nosuch }}"\n',
      'unknown-field.yml': 'groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: up\n        severity: high\n',
      'bad-duration.yml': 'groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: up\n        for: 5 minutes\n',
      'good.yml':
        'groups:\n  - name: g\n    interval: 15s\n    rules:\n      - alert: a\n        expr: up == 0\n        keep_firing_for: 5m\n        annotations:\n          x: "{{ $value | humanize }} {{ if gt $value 1.0 }}big{{ end }}"\n',
    };
    for (const [name, body] of Object.entries(cases)) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, body);
      const p = spawnSync('promtool', ['check', 'rules', f], { encoding: 'utf8' });
      const o = await check(f);
      t.equal(o.code, p.status, `${name}: exit code ${p.status} as promtool (${(p.stderr + o.err).replace(/\n/g, ' | ')})`);
    }
    const p = spawnSync('promtool', ['check', 'rules', nodeMixin], { encoding: 'utf8' });
    t.equal(p.status, 0);
    t.match(p.stdout, 'SUCCESS: 29 rules found');
  });
});
