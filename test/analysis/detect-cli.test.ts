import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AnomalyDetector } from '../../agent/analysis/detector';
import { runCli } from '../helpers/process';

const tmp = mkdtempSync(join(tmpdir(), 'outrider-detect-'));

function csv(n: number): { text: string; values: number[]; stamps: string[] } {
  const values: number[] = [];
  const stamps: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = new Date(Date.UTC(2024, 0, 1) + i * 300_000);
    stamps.push(d.toISOString().slice(0, 19).replace('T', ' '));
    values.push(i === 400 ? 500 : 10 + (i % 7));
  }
  return { text: 'timestamp,value\n' + stamps.map((s, i) => `${s},${values[i]}`).join('\n') + '\n', values, stamps };
}

t.test('detect writes timestamp,value,anomaly_score exactly as the detector computes online', async (t) => {
  const { text, values, stamps } = csv(500);
  const input = join(tmp, 'in.csv');
  writeFileSync(input, text);
  const r = await runCli(['detect', input]);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines[0], 'timestamp,value,anomaly_score');
  t.equal(lines.length, 501);
  const d = new AnomalyDetector();
  for (let i = 0; i < values.length; i++) {
    const [ts, v, s] = lines[i + 1]!.split(',');
    t.equal(ts, stamps[i]);
    t.equal(Number(v), values[i]);
    if (Number(s) !== d.update(Date.parse(stamps[i]! + 'Z'), values[i]!).score) {
      t.fail(`row ${i + 1}: score ${s} differs from the detector's`);
      break;
    }
  }
  t.ok(Number(lines[401]!.split(',')[2]) >= 0.5, 'the spike is flagged');

  const out = join(tmp, 'out.csv');
  const w = await runCli(['detect', input, '--out', out]);
  t.equal(w.code, 0, w.stderr);
  t.equal(w.stdout, '');
  t.equal(readFileSync(out, 'utf8'), r.stdout);
});

t.test('detect: bad input is a clear error, not a crash', async (t) => {
  const none = await runCli(['detect']);
  t.equal(none.code, 2);
  t.match(none.stderr, /no input file given/);
  const missing = await runCli(['detect', join(tmp, 'nope.csv')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot read/);
  const bad = join(tmp, 'bad.csv');
  writeFileSync(bad, 'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,abc\n');
  const r = await runCli(['detect', bad]);
  t.equal(r.code, 1);
  t.match(r.stderr, /bad\.csv:3: "abc" is not a number/);
  const header = join(tmp, 'header.csv');
  writeFileSync(header, 'a,b\n1,2\n');
  const h = await runCli(['detect', header]);
  t.equal(h.code, 1);
  t.match(h.stderr, /expected a "timestamp,value" header/);
});
