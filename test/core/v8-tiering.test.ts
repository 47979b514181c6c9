import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { leanTiering, tieringPlan } from '../../agent/core/v8-tiering';
import { spawnCli } from '../helpers/process';

t.test('the plan by V8 version, env and node flags', async (t) => {
  t.same(tieringPlan('12.4.254.21-node.33', [], {}), { off: '--no-turbofan', on: '--turbofan' }, 'V8 12+: only TurboFan held back (Maglev stays)');
  t.same(tieringPlan('13.6.233.10-node.28', [], { OUTRIDER_V8_TIERING: 'lean' }), { off: '--no-turbofan', on: '--turbofan' });
  t.same(tieringPlan('11.3.244.8-node.33', [], {}), { off: '--no-opt', on: '--opt' }, 'V8 11 (Node 20): every optimizing tier');
  t.equal(tieringPlan('13.6.233.10-node.28', [], { OUTRIDER_V8_TIERING: 'default' }), undefined, 'OUTRIDER_V8_TIERING=default keeps V8 as it is');
  for (const flag of ['--no-opt', '--turbofan', '--max-opt=3', '--jitless', '--no_turbofan', '--lite-mode', '--maglev'])
    t.equal(tieringPlan('13.6.233.10-node.28', ['--max-semi-space-size=2', flag], {}), undefined, `${flag} on the command line wins`);
  t.ok(tieringPlan('13.6.233.10-node.28', ['--max-semi-space-size=2', '--optimize-for-size'], {}), 'other flags do not count');
  t.throws(() => tieringPlan('13.6.233.10-node.28', [], { OUTRIDER_V8_TIERING: 'fast' }), /OUTRIDER_V8_TIERING: expected "lean" or "default", got "fast"/);
});

t.test('the watch turns the compiler on once, the first window the process used busyRatio of a core', async (t) => {
  const set: string[] = [];
  let cpu = 0;
  let ms = 0;
  const told: number[] = [];
  const w = leanTiering(
    { off: '--no-turbofan', on: '--turbofan' },
    { windowMs: 20, busyRatio: 0.05, setFlags: (f) => set.push(f), cpuMicros: () => cpu, nowMs: () => ms, onOptimizing: (u) => told.push(u) },
  );
  t.teardown(() => w.stop());
  t.same(set, ['--no-turbofan'], 'held back at once');
  t.equal(w.optimizing, false);
  const window = () => new Promise((r) => setTimeout(r, 30));
  ms += 10_000;
  cpu += 200_000; // 0.2 s of CPU in 10 s: 2 % of a core
  await window();
  t.same(set, ['--no-turbofan'], 'a quiet window changes nothing');
  await window();
  t.same(set, ['--no-turbofan'], 'no time passed: nothing to judge');
  ms += 10_000;
  cpu += 1_000_000; // 10 %
  await window();
  t.same(set, ['--no-turbofan', '--turbofan'], 'a busy window turns it on');
  t.equal(w.optimizing, true);
  t.equal(told.length, 1);
  t.ok(Math.abs(told[0]! - 0.1) < 1e-9, 'told the window’s share of a core');
  ms += 10_000;
  cpu += 10_000_000;
  await window();
  t.same(set, ['--no-turbofan', '--turbofan'], 'never set again');
});

t.test('no plan: nothing set, reported as optimizing', async (t) => {
  const set: string[] = [];
  const w = leanTiering(undefined, { setFlags: (f) => set.push(f) });
  t.equal(w.optimizing, true);
  t.same(set, []);
  w.stop();
});

t.test("this Node's V8 takes the plan's flags while running: no TurboFan code until turned on", async (t) => {
  // A hot function run under the plan's `off` flag, then a new one after its `on` flag, in a child with natives
  // syntax to read V8's optimization status (bit 6: TurboFan code).
  const plan = tieringPlan(process.versions.v8, [], {});
  if (!plan) return t.fail('a plan for this Node');
  const code = `
    const v8 = require('node:v8');
    v8.setFlagsFromString(${JSON.stringify(plan.off)});
    const mk = () => function f(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a.charCodeAt(i) * i; return s; };
    const str = 'abcdefghijklmnopqrstuvwxyz'.repeat(4);
    async function hot() {
      const f = mk();
      let x = 0;
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 2000; i++) x += f(str);
        await new Promise((r) => setImmediate(r));
        if ((%GetOptimizationStatus(f) & 64) !== 0) break;
      }
      return (%GetOptimizationStatus(f) & 64) !== 0;
    }
    (async () => {
      const before = await hot();
      v8.setFlagsFromString(${JSON.stringify(plan.on)});
      const after = await hot();
      process.stdout.write(JSON.stringify({ before, after }));
    })();`;
  const out = JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', '-e', code], { encoding: 'utf8', timeout: 60_000 })) as { before: boolean; after: boolean };
  t.same(out, { before: false, after: true });
});

t.test('the agent command holds TurboFan back from its start: none of its functions gets TurboFan code while idle', async (t) => {
  // V8's own trace lists every function compiled with TurboFan. A preload turns it on once the agent command's module
  // has loaded (the plan is applied before that), so what the test runner's own instrumentation of child processes
  // compiles while modules load does not count; the node command line names no tiering flag. V8's defaults
  // (OUTRIDER_V8_TIERING=default) are the control that the trace shows optimizing compiles in that window (TurboFan on
  // Node 20; Maglev first on Node 22+).
  const dir = mkdtempSync(join(tmpdir(), 'outrider-tiering-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const preload = join(dir, 'trace-opt.js');
  writeFileSync(
    preload,
    `const poll = setInterval(() => {
  if (!Object.keys(require.cache).some((f) => f.endsWith('/agent/cli/agent.js'))) return;
  clearInterval(poll);
  require('node:v8').setFlagsFromString('--trace-opt');
}, 5);
poll.unref();
`,
  );
  /** The functions compiled with TurboFan, and with any optimizing tier (Maglev too), once the trace is on. */
  const compiled = async (env: NodeJS.ProcessEnv): Promise<{ turbofan: number; optimizing: number }> => {
    const p = spawnCli(['agent', '--listen=127.0.0.1:0', '--spool.dir='], { NODE_OPTIONS: `--require=${preload}`, ...env });
    try {
      await p.waitForLog(/agent is ready/, 60_000);
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      p.child.kill('SIGTERM');
    }
    await p.exited;
    const count = (re: RegExp) => (p.stdout().match(re) ?? []).length;
    return { turbofan: count(/completed compiling.*target TURBOFAN/g), optimizing: count(/completed compiling.*target (TURBOFAN|MAGLEV)/g) };
  };
  t.equal((await compiled({})).turbofan, 0, 'held back: nothing compiled with TurboFan');
  t.ok((await compiled({ OUTRIDER_V8_TIERING: 'default' })).optimizing > 0, "V8's defaults: the trace shows optimizing compiles in the same window");
});
