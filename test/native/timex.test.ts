// adjtimex(2) through the addon (native/src/timex_binding.cc), and what the agent gets without the addon.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { nativeStatus } from '../../agent/native';
import { nativeBinding } from '../../agent/native/loader';
import { readTimex } from '../../agent/native/timex';

const fields = ['state', 'offset', 'freq', 'maxerror', 'esterror', 'status', 'constant', 'precision', 'tolerance', 'tick', 'ppsfreq', 'jitter', 'shift', 'stabil', 'jitcnt', 'calcnt', 'errcnt', 'stbcnt', 'tai'];

t.test('adjtimex [native]: every field of struct timex, read-only and repeatable', { skip: nativeStatus().available ? false : nativeStatus().reason }, async (t) => {
  const b = nativeBinding()!;
  t.equal(typeof b.adjtimex, 'function');
  t.ok(b.bindings.includes('timex'), 'registered as the timex binding');
  let last;
  for (let i = 0; i < 1000; i++) last = b.adjtimex!();
  t.same(Object.keys(last!).sort(), [...fields].sort());
  for (const f of fields) t.ok(Number.isInteger(last![f as keyof typeof last]), `${f} is an integer`);
  t.ok(last!.tick > 0, 'tick is set (the kernel always has one)');
  const r = readTimex();
  t.ok(r.ok, 'the wrapper reads it too');
});

t.test('adjtimex [twin]: unavailable, with the reason, never a throw', async (t) => {
  const script = `const { readTimex } = require(${JSON.stringify(path.resolve(__dirname, '../../agent/native/timex.js'))}); process.stdout.write(JSON.stringify(readTimex()));`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, OUTRIDER_NATIVE: '0' }, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; reason: string; errno?: string };
  t.equal(out.ok, false);
  t.match(out.reason, /native addon/);
  t.equal(out.errno, undefined, 'not a failed call: no errno');
});
